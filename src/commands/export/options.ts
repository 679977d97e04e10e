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
}

/** Export's flags as commander parses them. */
export interface ExportFlags {
  format: 'csv' | 'jsonl';
  out?: string;
  /** The hidden old name of --out. */
  output?: string;
  repair?: boolean;
  lowConfidence?: boolean;
}

export function exportOptions(manifest: string, flags: ExportFlags): ExportOptions {
  if (flags.out !== undefined && flags.output !== undefined) throw new UsageError('--output is the old name of --out', 'give --out (-o) alone');
  return { manifest, format: flags.format, output: flags.out ?? flags.output, repair: Boolean(flags.repair), lowConfidence: Boolean(flags.lowConfidence) };
}
