/**
 * The settings ocrq keeps in its config file, how their values are checked, and how secrets are shown.
 * Secrets (API keys, webhook secrets) are never echoed in an error and only ever displayed through `maskSecret`.
 */
import { UsageError } from '../errors.js';
import { PROVIDER_REGISTRY, PROVIDERS, type ProviderName } from '../providers/registry.js';
import { parseHttpUrl, parseSecret } from './parsers.js';
import { SETTINGS, settingForField, storedValue } from './settings.js';

export * from './parsers.js';

/** Each provider's own key variable (`keyEnv` in its folder); it wins over `OCRQ_API_KEY`, which covers every provider. */
export const PROVIDER_KEY_ENV = Object.fromEntries(PROVIDERS.map((name) => [name, PROVIDER_REGISTRY[name].keyEnv])) as Record<ProviderName, string>;

export const GLOBAL_KEY_ENV = 'OCRQ_API_KEY';

export const PROVIDER_FIELDS = ['api_key', 'base_url', 'webhook_secret'] as const;
/** The fields `ocrq config` knew first, in the order `config list` has always printed them. */
const FIRST_FIELDS = ['provider', 'rps', 'burst', 'concurrency', 'workers', 'max_page_seconds', 'max_worker_memory', 'min_confidence', 'rotate', 'shard', 'shard_budget'];
/** The `defaults.*` fields: one per setting of the table in settings.ts; the first ones, then the others in its order. */
export const DEFAULT_FIELDS: readonly string[] = [...FIRST_FIELDS, ...SETTINGS.map((s) => s.name.replace(/-/g, '_'))].filter((f, i, all) => all.indexOf(f) === i);
const SECRET_FIELDS: ReadonlySet<string> = new Set(['api_key', 'webhook_secret']);

/** Every valid key, in the order `config list` prints them. */
export const CONFIG_KEYS: readonly string[] = [
  ...DEFAULT_FIELDS.map((f) => `defaults.${f}`),
  ...PROVIDERS.flatMap((p) => PROVIDER_FIELDS.map((f) => `providers.${p}.${f}`)),
];
const KNOWN_KEYS: ReadonlySet<string> = new Set(CONFIG_KEYS);

/** Longer values are refused: no real key or URL is this long, and a pasted file would be. */
export { MAX_SECRET_LENGTH } from '../signature/types.js';
/** Below this length a masked secret shows nothing of the value: 4 + 4 visible characters would give too much away. */
export const MIN_MASKABLE_LENGTH = 20;
const MASK_VISIBLE = 4;

export const VALID_KEYS_HINT =
  `valid keys: defaults.{${DEFAULT_FIELDS.join(',')}}, ` + `providers.{${PROVIDERS.join(',')}}.{${PROVIDER_FIELDS.join(',')}}`;

export function isConfigKey(key: string): boolean {
  return KNOWN_KEYS.has(key);
}

export function isSecretKey(key: string): boolean {
  return SECRET_FIELDS.has(key.slice(key.lastIndexOf('.') + 1));
}

/** `sk_live_abcdef123456` → `sk_l…3456`; short values → `…`. Never the full value. */
export function maskSecret(value: string): string {
  if (value.length < MIN_MASKABLE_LENGTH) return '…';
  // A hand-edited file may hold control characters; they must not reach a terminal.
  const safe = (s: string) => s.replace(/[^\x21-\x7e]/g, '?');
  return `${safe(value.slice(0, MASK_VISIBLE))}…${safe(value.slice(-MASK_VISIBLE))}`;
}

/**
 * Checks a value for `key` and returns what is stored: numbers as numbers, strings trimmed. Throws UsageError
 * with a fix; the message quotes the value only when the key is not a secret.
 */
export function validateSetting(key: string, value: string): unknown {
  if (!isConfigKey(key)) throw unknownKeyError(key);
  const parse = parserFor(key);
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof UsageError) {
      throw new UsageError(`invalid value for ${key}: ${err.message}`, err.fix ?? `ocrq config set ${key} VALUE`);
    }
    throw err;
  }
}

/** The parser behind `validateSetting` for one valid key: what `ocrq config set` stores. */
export function parserFor(key: string): (value: string) => unknown {
  const field = key.slice(key.lastIndexOf('.') + 1);
  switch (field) {
    case 'api_key':
    case 'webhook_secret':
      return parseSecret;
    case 'base_url':
      return parseHttpUrl;
  }
  const setting = settingForField(field);
  if (!setting) throw unknownKeyError(key);
  return (value) => storedValue(setting, value);
}

/** The error for a key that is not a setting. The key is not echoed: a swapped `set VALUE KEY` would print a secret. */
export function unknownKeyError(key: string): UsageError {
  const parts = key.split('.');
  const providerField = parts.length === 3 && parts[0] === 'providers' && (PROVIDER_FIELDS as readonly string[]).includes(parts[2]);
  const message = providerField ? 'unknown provider in config key' : 'unknown config key';
  return new UsageError(message, VALID_KEYS_HINT);
}

