/**
 * The user's config file (JSON, nested by dotted key: `providers.ocrqueen.api_key`). It holds API keys, so the file
 * is written 0600 in a 0700 directory, and no error about it quotes its content.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import Conf from 'conf';
import { ConfigError } from '../errors.js';

export interface ConfigStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** Removes the key, and the objects it leaves empty. */
  delete(key: string): void;
  /** Every leaf value, flattened to dotted keys (`{'defaults.rps': 5}`). */
  all(): Record<string, unknown>;
  readonly path: string;
}

export const CONFIG_DIR_ENV = 'OCRQ_CONFIG_DIR';
export const CONFIG_FILE_MODE = 0o600;
export const CONFIG_DIR_MODE = 0o700;
const PROJECT_NAME = 'ocrq';

/**
 * conf-backed store under the user's config dir; the `dir` option, then `OCRQ_CONFIG_DIR`, overrides the directory,
 * so tests and CI never touch the real home. Every access reads the file, so another process's change is seen.
 */
export function openConfig(options: { env: NodeJS.ProcessEnv; dir?: string }): ConfigStore {
  const dir = resolve(options.dir || options.env[CONFIG_DIR_ENV] || defaultConfigDir(options.env));
  const file = join(dir, 'config.json');
  const conf = guard(file, () => {
    mkdirSync(dir, { recursive: true, mode: CONFIG_DIR_MODE });
    return new Conf<Record<string, unknown>>({
      projectName: PROJECT_NAME,
      cwd: dir,
      configName: 'config',
      configFileMode: CONFIG_FILE_MODE,
      deserialize: (text) => parseConfigText(text, file),
    });
  });
  return {
    path: conf.path,
    get: (key) => guard(file, () => conf.get(key)),
    set: (key, value) => guard(file, () => conf.set(key, value)),
    delete: (key) => guard(file, () => deleteAndPrune(conf, key)),
    all: () => guard(file, () => flatten(conf.store)),
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

function parseConfigText(text: string, file: string): Record<string, unknown> {
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

/** Runs a file operation; system errors become a ConfigError naming the file (their messages carry no content). */
function guard<T>(file: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string') {
      throw new ConfigError(`cannot use config file ${file}: ${code}`, `check its permissions, or set ${CONFIG_DIR_ENV} to another directory`);
    }
    // conf's own errors (reserved keys, undefined values) are bugs in the caller; their text has no file content.
    throw err;
  }
}

function deleteAndPrune(conf: Conf<Record<string, unknown>>, key: string): void {
  conf.delete(key);
  const parts = key.split('.');
  for (let depth = parts.length - 1; depth > 0; depth--) {
    const parent = parts.slice(0, depth).join('.');
    const value = conf.get(parent);
    if (!isPlainObject(value) || Object.keys(value).length > 0) break;
    conf.delete(parent);
  }
}

function flatten(store: Record<string, unknown>): Record<string, unknown> {
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
