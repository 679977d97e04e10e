/**
 * The config file itself, without the conf package: where it lives, how its text is read, and a read-only view.
 * `ocrq submit` reads settings through this module only; conf (which hooks process signals through its
 * atomic-write dependency and re-raises them) is loaded by `ocrq config` alone, so a SIGINT during a run still
 * ends with the manifest flushed.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export const CONFIG_DIR_ENV = 'OCRQ_CONFIG_DIR';
export const PROJECT_NAME = 'ocrq';

/** Reading side of the config: what resolving settings needs. */
export interface ConfigReader {
  get(key: string): unknown;
  /** Every leaf value, flattened to dotted keys (`{'defaults.rps': 5}`). */
  all(): Record<string, unknown>;
  readonly path: string;
}

export function configDir(options: { env: NodeJS.ProcessEnv; dir?: string }): string {
  return resolve(options.dir || options.env[CONFIG_DIR_ENV] || defaultConfigDir(options.env));
}

/** The config as it is on disk now; a missing file is an empty config. Creates nothing. */
export function readConfig(options: { env: NodeJS.ProcessEnv; dir?: string }): ConfigReader {
  const file = join(configDir(options), 'config.json');
  let data: Record<string, unknown> = {};
  try {
    data = parseConfigText(readFileSync(file, 'utf8'), file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') data = {};
    else if (err instanceof ConfigError) throw err;
    else throw new ConfigError(`cannot read config file ${file}: ${code ?? 'error'}`, `check its permissions, or set ${CONFIG_DIR_ENV} to another directory`);
  }
  return {
    path: file,
    get: (key) => key.split('.').reduce<unknown>((node, part) => (isPlainObject(node) ? node[part] : undefined), data),
    all: () => flatten(data),
  };
}

/** Where the file lives by default, as env-paths has it, without its `-nodejs` suffix: this is a CLI's own dir. */
export function defaultConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'darwin') return join(home, 'Library', 'Preferences', PROJECT_NAME);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), PROJECT_NAME, 'Config');
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), PROJECT_NAME);
}

export function parseConfigText(text: string, file: string): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (err) {
    // V8's message quotes the text around the error, which may be a key: keep only the position.
    const at = /line (\d+) column (\d+)/.exec((err as Error).message);
    const where = at ? ` (line ${at[1]}, column ${at[2]})` : '';
    throw new ConfigError(`config file ${file} is not valid JSON${where}`, `fix the file by hand or delete it`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`config file ${file} does not hold a JSON object`, `fix the file by hand or delete it`);
  }
  return data as Record<string, unknown>;
}

export function flatten(store: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      if (prefix === '' && k === '__internal__') continue;
      const key = prefix ? `${prefix}.${k}` : k;
      // An empty object (left by a hand edit) holds no setting.
      if (isPlainObject(v)) walk(v, key);
      else out[key] = v;
    }
  };
  walk(store, '');
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
