import { UsageError } from '../../errors.js';
/** `ocrq status`'s options, and how parsed flags become them (cli.ts parses the flags and hands them here). */
export interface StatusOptions {
  manifest: string;
  json: boolean;
  /** Print nothing but errors: the exit code says whether the manifest reads. */
  quiet?: boolean;
  /** Skip corrupt lines instead of stopping. */
  repair?: boolean;
}

/** Status's flags as commander parses them. */
export interface StatusFlags {
  json?: boolean;
  quiet?: boolean;
  repair?: boolean;
}

export function statusOptions(manifest: string, flags: StatusFlags): StatusOptions {
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  return { manifest, json: Boolean(flags.json), repair: Boolean(flags.repair), ...(flags.quiet ? { quiet: true } : {}) };
}
