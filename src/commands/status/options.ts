/** `ocrq status`'s options, and how parsed flags become them (cli.ts parses the flags and hands them here). */
export interface StatusOptions {
  manifest: string;
  json: boolean;
  /** Skip corrupt lines instead of stopping. */
  repair?: boolean;
}

/** Status's flags as commander parses them. */
export interface StatusFlags {
  json?: boolean;
  repair?: boolean;
}

export function statusOptions(manifest: string, flags: StatusFlags): StatusOptions {
  return { manifest, json: Boolean(flags.json), repair: Boolean(flags.repair) };
}
