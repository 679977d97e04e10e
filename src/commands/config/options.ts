import { UsageError } from '../../errors.js';
/** `ocrq config`'s options, and how parsed arguments become them (cli.ts parses the flags and hands them here). */
export type ConfigAction = 'get' | 'set' | 'unset' | 'list' | 'path';

export interface ConfigOptions {
  action: ConfigAction;
  key?: string;
  /** `-` reads the value from stdin, so a key stays out of shell history and the process list. */
  value?: string;
  json: boolean;
  /** No notes on stderr (`set`, `unset` confirmations); values asked for still print. */
  quiet?: boolean;
  /** There is deliberately no way to print a secret in full. */
  showSecrets?: never;
}

/** Config's flags as commander parses them. */
export interface ConfigFlags {
  json?: boolean;
  quiet?: boolean;
}

export function configOptions(action: ConfigAction, key: string | undefined, value: string | undefined, flags: ConfigFlags): ConfigOptions {
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  return { action, key, value, json: Boolean(flags.json), ...(flags.quiet ? { quiet: true } : {}) };
}
