/**
 * The user's config file (JSON, nested by dotted key: `providers.ocrqueen.api_key`). It holds API keys, so the file
 * is written 0600 in a 0700 directory, and no error about it quotes its content.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { ConfigError } from '../errors.js';
import { CONFIG_DIR_ENV, configDir, flatten, isPlainObject, parseConfigText, PROJECT_NAME, type ConfigReader } from './file.js';

export { CONFIG_DIR_ENV, defaultConfigDir, type ConfigReader } from './file.js';

export interface ConfigStore extends ConfigReader {
  set(key: string, value: unknown): void;
  /** Removes the key, and the objects it leaves empty. */
  delete(key: string): void;
}

export const CONFIG_FILE_MODE = 0o600;
export const CONFIG_DIR_MODE = 0o700;

/**
 * conf-backed store under the user's config dir; the `dir` option, then `OCRQ_CONFIG_DIR`, overrides the directory,
 * so tests and CI never touch the real home. Every access reads the file, so another process's change is seen.
 */
export function openConfig(options: { env: NodeJS.ProcessEnv; dir?: string }): ConfigStore {
  const dir = configDir(options);
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
