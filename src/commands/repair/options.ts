/** `ocrq repair`'s options, and how parsed flags become them (cli.ts parses the flags and hands them here). */
import { UsageError } from '../../errors.js';

export interface RepairOptions {
  manifest: string;
  json: boolean;
  quiet: boolean;
}

/** Repair's flags as commander parses them. */
export interface RepairFlags {
  json?: boolean;
  quiet?: boolean;
}

export function repairOptions(manifest: string, flags: RepairFlags): RepairOptions {
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  return { manifest, json: Boolean(flags.json), quiet: Boolean(flags.quiet) };
}
