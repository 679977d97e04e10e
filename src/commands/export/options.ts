import { UsageError } from '../../errors.js';
/** `ocrq export`'s options, and how parsed flags become them (cli.ts parses the flags and hands them here). */
export interface ExportOptions {
  manifest: string;
  format: 'csv' | 'jsonl';
  /** -o FILE, written atomically; default stdout. */
  output?: string;
  /** Skip corrupt lines instead of stopping. */
  repair?: boolean;
  /** Only completed documents with at least one page of low OCR confidence (`low_confidence_pages`). */
  lowConfidence?: boolean;
  /** A JSON summary on stdout once the file is written (needs -o: without it stdout holds the export). */
  json?: boolean;
  /** No warnings on stderr. */
  quiet?: boolean;
}

/** Export's flags as commander parses them. */
export interface ExportFlags {
  format: 'csv' | 'jsonl';
  out?: string;
  /** The hidden old name of --out. */
  output?: string;
  repair?: boolean;
  lowConfidence?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function exportOptions(manifest: string, flags: ExportFlags): ExportOptions {
  if (flags.out !== undefined && flags.output !== undefined) throw new UsageError('--output is the old name of --out', 'give --out (-o) alone');
  const output = flags.out ?? flags.output;
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  if (flags.json && (output === undefined || output === '-')) throw new UsageError('export --json prints a summary on stdout, which holds the export itself without -o', 'add -o FILE');
  const modes = { ...(flags.json ? { json: true } : {}), ...(flags.quiet ? { quiet: true } : {}) };
  return { manifest, format: flags.format, output, repair: Boolean(flags.repair), lowConfidence: Boolean(flags.lowConfidence), ...modes };
}
