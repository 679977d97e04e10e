import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/errors.js';
import { parsePositiveNumber, parseProviderName } from '../../src/config/keys.js';
import { resolveApiKey, resolveSetting } from '../../src/config/resolve.js';
import { openConfig, type ConfigStore } from '../../src/config/store.js';
import { makeTempDir } from '../helpers/tmp.js';

const FLAG_KEY = 'flagKey1234567890abcdef';
const GLOBAL_KEY = 'globalKey1234567890abcd';
const OWN_KEY = 'ownKey1234567890abcdefg';
const STORED_KEY = 'storedKey1234567890abcd';

async function configWith(values: Record<string, unknown>): Promise<ConfigStore> {
  const store = openConfig({ env: {}, dir: await makeTempDir() });
  for (const [k, v] of Object.entries(values)) store.set(k, v);
  return store;
}

describe('resolveApiKey', () => {
  it('takes --api-key, then the provider variable, then OCRQ_API_KEY, then the config file', async () => {
    const config = await configWith({ 'providers.ocrqueen.api_key': STORED_KEY });
    const env = { OCRQ_API_KEY: GLOBAL_KEY, OCRQUEEN_API_KEY: OWN_KEY };
    expect(resolveApiKey('ocrqueen', FLAG_KEY, env, config)).toEqual({ value: FLAG_KEY, from: 'flag', name: '--api-key' });
    expect(resolveApiKey('ocrqueen', undefined, env, config)).toEqual({ value: OWN_KEY, from: 'env', name: 'OCRQUEEN_API_KEY' });
    // A generic key exported for one provider is used by another only when that one has no variable of its own.
    expect(resolveApiKey('leapocr', undefined, env, config)).toEqual({ value: GLOBAL_KEY, from: 'env', name: 'OCRQ_API_KEY' });
    expect(resolveApiKey('ocrqueen', undefined, { OCRQUEEN_API_KEY: OWN_KEY }, config)).toEqual({
      value: OWN_KEY,
      from: 'env',
      name: 'OCRQUEEN_API_KEY',
    });
    expect(resolveApiKey('ocrqueen', undefined, {}, config)).toEqual({
      value: STORED_KEY,
      from: 'config',
      name: 'providers.ocrqueen.api_key',
    });
  });

  it('reads each provider its own variable and config entry only', async () => {
    const config = await configWith({ 'providers.leapocr.api_key': STORED_KEY });
    expect(resolveApiKey('process-job', undefined, { DOCUPROX_API_KEY: OWN_KEY, LEAPOCR_API_KEY: GLOBAL_KEY }, config)).toMatchObject({
      value: OWN_KEY,
      name: 'DOCUPROX_API_KEY',
    });
    expect(resolveApiKey('docextract', undefined, { LEAPOCR_API_KEY: GLOBAL_KEY }, config)).toBeNull();
    expect(resolveApiKey('leapocr', undefined, {}, config)?.name).toBe('providers.leapocr.api_key');
  });

  it('skips empty variables, with a notice for blank ones', async () => {
    const config = await configWith({ 'providers.qomplement.api_key': STORED_KEY });
    const notices: string[] = [];
    const got = resolveApiKey('qomplement', undefined, { OCRQ_API_KEY: '', QOMPLEMENT_API_KEY: ' \n' }, config, (m) => notices.push(m));
    expect(got?.from).toBe('config');
    expect(notices).toEqual(['QOMPLEMENT_API_KEY is blank; ignoring it']);
  });

  it('trims a key read from a file, with a notice that does not show the key', async () => {
    const config = await configWith({});
    const notices: string[] = [];
    const got = resolveApiKey('ocrqueen', undefined, { OCRQ_API_KEY: `${GLOBAL_KEY}\n` }, config, (m) => notices.push(m));
    expect(got).toEqual({ value: GLOBAL_KEY, from: 'env', name: 'OCRQ_API_KEY' });
    expect(notices).toEqual(['removed whitespace around the API key from OCRQ_API_KEY']);
  });

  it('refuses values that cannot be a key, naming the source and never the value', async () => {
    const config = await configWith({ 'providers.ocrqueen.api_key': `${STORED_KEY}\u0000x` });
    const attempts: Array<[() => unknown, typeof UsageError, string]> = [
      [() => resolveApiKey('ocrqueen', '', {}, config), UsageError, '--api-key'],
      [() => resolveApiKey('ocrqueen', `${FLAG_KEY} extra`, {}, config), UsageError, '--api-key'],
      [() => resolveApiKey('ocrqueen', undefined, { OCRQ_API_KEY: `${GLOBAL_KEY}\nsecond` }, config), ConfigError, 'OCRQ_API_KEY'],
      [() => resolveApiKey('ocrqueen', undefined, {}, config), ConfigError, 'providers.ocrqueen.api_key'],
    ];
    for (const [attempt, type, name] of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(type);
      const e = error as UsageError;
      expect(e.message).toContain(name);
      for (const key of [FLAG_KEY, GLOBAL_KEY, STORED_KEY]) expect(`${e.message} ${e.fix} ${e.stack}`).not.toContain(key.slice(0, 8));
    }
  });

  it('refuses a config entry that is not a string', async () => {
    const config = await configWith({ 'providers.ocrqueen.api_key': 12345 });
    expect(() => resolveApiKey('ocrqueen', undefined, {}, config)).toThrow(ConfigError);
  });
});

describe('resolveSetting', () => {
  const rps = (env: NodeJS.ProcessEnv, config: ConfigStore, flag?: number) =>
    resolveSetting({ flag, flagName: '--rps', envName: 'OCRQ_RPS', env, configKey: 'defaults.rps', config, parse: parsePositiveNumber, fallback: 5 });

  it('takes the flag, then the variable, then the config file, then the default', async () => {
    const config = await configWith({ 'defaults.rps': 2 });
    expect(rps({ OCRQ_RPS: '3' }, config, 4)).toEqual({ value: 4, from: 'flag', name: '--rps' });
    expect(rps({ OCRQ_RPS: ' 3 ' }, config)).toEqual({ value: 3, from: 'env', name: 'OCRQ_RPS' });
    expect(rps({ OCRQ_RPS: '' }, config)).toEqual({ value: 2, from: 'config', name: 'defaults.rps' });
    expect(rps({}, await configWith({}))).toEqual({ value: 5, from: 'default', name: 'default' });
  });

  it('parses strings in the config file, and passes strings through without a parser', async () => {
    const config = await configWith({ 'defaults.rps': '0.5', 'defaults.provider': 'leapocr' });
    expect(rps({}, config).value).toBe(0.5);
    const provider = resolveSetting<string | undefined>({ flagName: '--provider', env: {}, configKey: 'defaults.provider', config, fallback: undefined });
    expect(provider).toEqual({ value: 'leapocr', from: 'config', name: 'defaults.provider' });
    const typed = resolveSetting({ flagName: '--provider', env: {}, configKey: 'defaults.provider', config, parse: parseProviderName, fallback: 'ocrqueen' });
    expect(typed.value).toBe('leapocr');
  });

  it('fails with a ConfigError naming the source of a bad value', async () => {
    const empty = await configWith({});
    expect(() => rps({ OCRQ_RPS: 'fast' }, empty)).toThrow('invalid value in OCRQ_RPS: expected a positive number, got "fast"');
    const stored = await configWith({ 'defaults.rps': '-2' });
    expect(() => rps({}, stored)).toThrow(ConfigError);
    expect(() => rps({}, stored)).toThrow('invalid value in defaults.rps');
    const nested = await configWith({ 'defaults.rps': { a: 1 } });
    expect(() => rps({}, nested)).toThrow(/defaults\.rps in .* is not a single value/);
    // The flag wins before the file is read.
    expect(rps({}, nested, 1).value).toBe(1);
  });
});
