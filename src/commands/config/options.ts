/** `ocrq config`'s options, and how parsed arguments become them (cli.ts parses the flags and hands them here). */
export type ConfigAction = 'get' | 'set' | 'unset' | 'list' | 'path';

export interface ConfigOptions {
  action: ConfigAction;
  key?: string;
  /** `-` reads the value from stdin, so a key stays out of shell history and the process list. */
  value?: string;
  json: boolean;
  /** There is deliberately no way to print a secret in full. */
  showSecrets?: never;
}

/** Config's flags as commander parses them. */
export interface ConfigFlags {
  json?: boolean;
}

export function configOptions(action: ConfigAction, key: string | undefined, value: string | undefined, flags: ConfigFlags): ConfigOptions {
  return { action, key, value, json: Boolean(flags.json) };
}
