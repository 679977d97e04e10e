/** `ocrq merge`'s options, and how parsed flags become them (cli.ts parses the flags and hands them here). */
import { UsageError } from '../../errors.js';

export interface MergeOptions {
  /** Manifest files, folders of them, or quoted globs. */
  inputs: string[];
  out: string;
  csv?: string;
  json: boolean;
  quiet: boolean;
}

/** Merge's flags as commander parses them. */
export interface MergeFlags {
  out: string;
  csv?: string;
  json?: boolean;
  quiet?: boolean;
}

export function mergeOptions(inputs: string[], flags: MergeFlags): MergeOptions {
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  return { inputs, out: flags.out, csv: flags.csv, json: Boolean(flags.json), quiet: Boolean(flags.quiet) };
}
