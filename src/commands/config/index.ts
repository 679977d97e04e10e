import { ExitCode, UsageError } from '../../errors.js';
import { redact } from '../../output/redact.js';
import { writeToStream } from '../../manifest/write-stream.js';
import {
  CONFIG_KEYS,
  isConfigKey,
  isSecretKey,
  maskSecret,
  unknownKeyError,
  validateSetting,
} from '../../config/keys.js';
import { isProviderName } from '../../providers/registry.js';
import { envName, settingForField } from '../../config/settings.js';
import { openConfig, type ConfigStore } from '../../config/store.js';
import { apiKeyVariables } from '../../config/resolve.js';
import { readStdinValue } from '../../config/stdin-value.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { ConfigOptions } from './options.js';

export type { ConfigAction, ConfigOptions } from './options.js';

/** What the command said, as its --json output prints it (secrets masked). */
export type ConfigSummary = Record<string, unknown>;

/** Reads and writes the user's config file. Secrets are shown masked in every output. */
export async function config(options: ConfigOptions, deps: CommandDeps): Promise<CommandResult<ConfigSummary>> {
  const needsKey = options.action === 'get' || options.action === 'set' || options.action === 'unset';
  if (needsKey && !options.key) throw new UsageError(`config ${options.action} needs a KEY`, `ocrq config ${options.action} KEY`);
  if (!needsKey && (options.key !== undefined || options.value !== undefined)) {
    throw new UsageError(`config ${options.action} takes no arguments`, `ocrq config ${options.action}`);
  }
  if (options.action === 'set' && options.value === undefined) {
    throw new UsageError('config set needs a VALUE', 'ocrq config set KEY VALUE (or - to read the value from stdin)');
  }
  if (options.action !== 'set' && options.value !== undefined) {
    throw new UsageError(`config ${options.action} takes one KEY only`, `ocrq config ${options.action} KEY`);
  }
  if (options.key !== undefined && !isConfigKey(options.key)) throw unknownKeyError(options.key);

  const store = openConfig({ env: deps.env });
  const out = (text: string) => writeToStream(deps.stdout, single(text));
  // --quiet: only errors on stderr; what was asked for (a value, the list, the path) still goes to stdout.
  const note = (text: string) => void (options.quiet || deps.stderr.write(`ocrq: ${text}\n`));
  const key = options.key as string;

  let summary: ConfigSummary;
  switch (options.action) {
    case 'path':
      summary = { path: store.path };
      await out(options.json ? `${JSON.stringify(summary)}\n` : `${store.path}\n`);
      break;
    case 'get': {
      const value = store.get(key);
      const shown = value === undefined || value === null ? null : displayValue(key, value);
      if (shown === null) note(`${key} is not set in ${store.path}`);
      noteOverride(key, deps.env, note);
      summary = { key, value: shown };
      if (options.json) await out(`${JSON.stringify(summary)}\n`);
      else if (shown !== null) await out(`${format(shown)}\n`);
      break;
    }
    case 'set': {
      const raw = options.value === '-' ? await readStdinValue(deps.stdin) : (options.value as string);
      const value = validateSetting(key, raw);
      if (isSecretKey(key) && value !== raw) note(`removed whitespace around the value of ${key}`);
      store.set(key, value);
      const shown = displayValue(key, value);
      note(`set ${key} = ${format(shown)} in ${store.path}`);
      noteOverride(key, deps.env, note);
      summary = { key, value: shown };
      if (options.json) await out(`${JSON.stringify(summary)}\n`);
      break;
    }
    case 'unset': {
      const removed = store.get(key) !== undefined;
      if (removed) store.delete(key);
      note(removed ? `removed ${key} from ${store.path}` : `${key} was not set in ${store.path}`);
      summary = { key, removed };
      if (options.json) await out(`${JSON.stringify(summary)}\n`);
      break;
    }
    case 'list':
      summary = await list(store, options.json, out, note);
      break;
  }
  return { exitCode: ExitCode.Ok, summary };
}

/** Prints every setting ocrq uses (secrets masked) and returns them. */
async function list(store: ConfigStore, json: boolean, out: (text: string) => Promise<void>, note: (text: string) => void): Promise<ConfigSummary> {
  const entries = store.all();
  const shown: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = entries[key];
    if (value !== undefined && value !== null) shown[key] = displayValue(key, value);
  }
  // Entries ocrq does not know are left out, unnamed: a hand-edited file could hold a secret under any name.
  const unknown = Object.keys(entries).filter((k) => !isConfigKey(k)).length;
  if (unknown > 0) note(`warning: ${store.path} has ${unknown} ${unknown === 1 ? 'entry' : 'entries'} ocrq does not use; not shown`);
  if (json) {
    await out(`${JSON.stringify(shown)}\n`);
    return shown;
  }
  if (Object.keys(shown).length === 0) note(`no settings in ${store.path}`);
  await out(Object.entries(shown).map(([k, v]) => `${k} = ${format(v)}\n`).join(''));
  return shown;
}

/** What a value looks like in any output: secrets masked, other text with likely secrets redacted. */
function displayValue(key: string, value: unknown): unknown {
  if (isSecretKey(key)) return typeof value === 'string' ? maskSecret(value) : '… (not a string)';
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return '(not a single value)';
}

/** Plain text form: printable strings as they are, anything else JSON-quoted so control characters stay inert. */
function format(value: unknown): string {
  if (typeof value === 'string' && /^[\x20-\x7e…]*$/.test(value)) return value;
  return JSON.stringify(value);
}

function noteOverride(key: string, env: NodeJS.ProcessEnv, note: (text: string) => void): void {
  const [section, provider, field] = key.split('.');
  const setting = section === 'defaults' ? settingForField(provider) : undefined;
  const variables = setting ? [envName(setting.name)] : field === 'api_key' && isProviderName(provider) ? apiKeyVariables(provider) : [];
  const over = variables.find((name) => (env[name] ?? '').trim() !== '');
  if (over) note(`note: ${over} is set in the environment and takes precedence over ${key}`);
}

async function* single(text: string): AsyncGenerator<string> {
  if (text !== '') yield text;
}
