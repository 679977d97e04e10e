/**
 * One setting from the first source that has it: flag > environment > config file > default. The result names the
 * source (`--api-key`, `OCRQUEEN_API_KEY`, `providers.ocrqueen.api_key`) so messages can point at it; errors about
 * secrets name the source and never the value.
 */
import { ConfigError, OcrqError, UsageError } from '../errors.js';
import { GLOBAL_KEY_ENV, PROVIDER_KEY_ENV, parseSecret } from './keys.js';
import type { ProviderName } from '../providers/registry.js';
import type { ConfigReader } from './file.js';

export interface ResolvedSetting<T> {
  value: T;
  from: 'flag' | 'env' | 'config' | 'default';
  name: string;
}

/** Receives one-line notices for stderr, e.g. that a key was trimmed. */
export type NoticeSink = (message: string) => void;

/**
 * The environment variables that may hold a provider's API key, the first set one winning: the provider's own, then
 * the generic one, so that a generic key exported for one provider is never sent to another that has its own.
 */
export function apiKeyVariables(provider: ProviderName): string[] {
  return [PROVIDER_KEY_ENV[provider], GLOBAL_KEY_ENV];
}

/**
 * API key for a provider: --api-key > the provider's own variable > OCRQ_API_KEY > config providers.<p>.api_key;
 * null when none. Empty variables are skipped; surrounding whitespace (a key read from a file) is trimmed with a
 * notice; a value that cannot be a key is refused (UsageError for the flag, ConfigError otherwise).
 */
export function resolveApiKey(
  provider: ProviderName,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: ConfigReader,
  onNotice: NoticeSink = () => {},
): ResolvedSetting<string> | null {
  if (flag !== undefined) return checkedSecret(flag, 'flag', '--api-key', onNotice);
  for (const name of apiKeyVariables(provider)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (raw.trim() === '') {
      onNotice(`${name} is blank; ignoring it`);
      continue;
    }
    return checkedSecret(raw, 'env', name, onNotice);
  }
  const configKey = `providers.${provider}.api_key`;
  const stored = config.get(configKey);
  if (stored === undefined || stored === null) return null;
  if (typeof stored !== 'string') {
    throw new ConfigError(`${configKey} in ${config.path} is not a string`, `ocrq config set ${configKey} KEY`);
  }
  return checkedSecret(stored, 'config', configKey, onNotice);
}

function checkedSecret(raw: string, from: ResolvedSetting<string>['from'], name: string, onNotice: NoticeSink): ResolvedSetting<string> {
  let value: string;
  try {
    value = parseSecret(raw);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const message = `invalid API key in ${name}: ${err.message}`;
    throw from === 'flag' ? new UsageError(message, err.fix) : new ConfigError(message, err.fix);
  }
  if (value !== raw) onNotice(`removed whitespace around the API key from ${name}`);
  return { value, from, name };
}

/**
 * A setting from the first source that has it. `flag` counts when not undefined (the caller passes what commander
 * parsed); an environment variable when not empty; a config value when not missing or null. Strings from the
 * environment and the config file go through `parse` (without it they are used as they are); a value `parse` refuses
 * fails with a ConfigError naming the variable or key.
 */
export function resolveSetting<T>(opts: {
  flag?: T;
  flagName: string;
  envName?: string;
  env: NodeJS.ProcessEnv;
  configKey?: string;
  config: ConfigReader;
  parse?: (s: string) => T;
  fallback: T;
}): ResolvedSetting<T> {
  if (opts.flag !== undefined) return { value: opts.flag, from: 'flag', name: opts.flagName };
  if (opts.envName) {
    const raw = opts.env[opts.envName];
    if (raw !== undefined && raw.trim() !== '') {
      return { value: parseWith(opts.parse, raw.trim(), opts.envName), from: 'env', name: opts.envName };
    }
  }
  if (opts.configKey) {
    const raw = opts.config.get(opts.configKey);
    if (raw !== undefined && raw !== null) {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        throw new ConfigError(
          `${opts.configKey} in ${opts.config.path} is not a single value`,
          `ocrq config set ${opts.configKey} VALUE, or ocrq config unset ${opts.configKey}`,
        );
      }
      const value = opts.parse ? parseWith(opts.parse, String(raw), opts.configKey) : (raw as T);
      return { value, from: 'config', name: opts.configKey };
    }
  }
  return { value: opts.fallback, from: 'default', name: 'default' };
}

function parseWith<T>(parse: ((s: string) => T) | undefined, raw: string, name: string): T {
  if (!parse) return raw as T;
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof OcrqError) throw new ConfigError(`invalid value in ${name}: ${err.message}`, err.fix);
    throw new ConfigError(`invalid value in ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
