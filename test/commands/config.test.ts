import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { config, type ConfigOptions } from '../../src/commands/config/index.js';
import { ExitCode, OcrqError, UsageError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir } from '../helpers/tmp.js';

// No well-known prefix, so nothing but ocrq's own masking can hide it.
const KEY = 'Zq8Lm2Xw7Rt4Pk9Vb3Nc6Hd1';
const SECRET = 'Wh5Ty2Ua8Io3Pe6Ld9Kf4Gj7';

interface Outcome {
  exitCode?: number;
  error?: OcrqError;
  stdout: string;
  stderr: string;
}

async function runConfig(dir: string, options: Partial<ConfigOptions> & Pick<ConfigOptions, 'action'>, extra: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Outcome> {
  const io = captureIo(dir, {
    env: { OCRQ_CONFIG_DIR: path.join(dir, 'conf'), ...extra.env },
    ...(extra.stdin !== undefined ? { stdin: Readable.from([Buffer.from(extra.stdin)]) } : {}),
  });
  try {
    const { exitCode } = await config({ json: false, ...options }, io.deps);
    return { exitCode, stdout: io.stdout(), stderr: io.stderr() };
  } catch (err) {
    if (!(err instanceof OcrqError)) throw err;
    return { error: err, stdout: io.stdout(), stderr: io.stderr() };
  }
}

/** Everything a user could see from one run: both streams and, on failure, the message, fix and stack. */
const visible = (o: Outcome) => [o.stdout, o.stderr, o.error?.message, o.error?.fix, o.error?.stack, String(o.error?.cause)].join('\n');

describe('ocrq config', () => {
  it('sets, gets, lists and unsets values', async () => {
    const dir = await makeTempDir();
    expect((await runConfig(dir, { action: 'set', key: 'defaults.rps', value: '2.5' })).exitCode).toBe(ExitCode.Ok);
    await runConfig(dir, { action: 'set', key: 'providers.leapocr.base_url', value: 'http://127.0.0.1:9/api/v1' });
    await runConfig(dir, { action: 'set', key: 'defaults.provider', value: 'leapocr' });

    const got = await runConfig(dir, { action: 'get', key: 'defaults.rps' });
    expect(got.stdout).toBe('2.5\n');

    const listed = await runConfig(dir, { action: 'list' });
    expect(listed.stdout).toBe('defaults.provider = leapocr\ndefaults.rps = 2.5\nproviders.leapocr.base_url = http://127.0.0.1:9/api/v1\n');
    const json = await runConfig(dir, { action: 'list', json: true });
    expect(JSON.parse(json.stdout)).toEqual({
      'defaults.provider': 'leapocr',
      'defaults.rps': 2.5,
      'providers.leapocr.base_url': 'http://127.0.0.1:9/api/v1',
    });

    const unset = await runConfig(dir, { action: 'unset', key: 'defaults.rps' });
    expect(unset.stdout).toBe('');
    expect(unset.stderr).toContain('removed defaults.rps');
    const missing = await runConfig(dir, { action: 'get', key: 'defaults.rps' });
    expect(missing).toMatchObject({ exitCode: 0, stdout: '' });
    expect(missing.stderr).toContain('defaults.rps is not set');
    expect(JSON.parse((await runConfig(dir, { action: 'get', key: 'defaults.rps', json: true })).stdout)).toEqual({ key: 'defaults.rps', value: null });
    expect((await runConfig(dir, { action: 'unset', key: 'defaults.rps' })).stderr).toContain('was not set');
  });

  it('prints the file path', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'conf', 'config.json');
    expect((await runConfig(dir, { action: 'path' })).stdout).toBe(`${file}\n`);
    expect(JSON.parse((await runConfig(dir, { action: 'path', json: true })).stdout)).toEqual({ path: file });
  });

  it('stores a key as given but shows it masked everywhere', async () => {
    const dir = await makeTempDir();
    const set = await runConfig(dir, { action: 'set', key: 'providers.ocrqueen.api_key', value: KEY });
    expect(set.stderr).toContain('set providers.ocrqueen.api_key = Zq8L…6Hd1');
    const file = JSON.parse(await fs.readFile(path.join(dir, 'conf', 'config.json'), 'utf8'));
    expect(file.providers.ocrqueen.api_key).toBe(KEY);
    expect((await runConfig(dir, { action: 'get', key: 'providers.ocrqueen.api_key' })).stdout).toBe('Zq8L…6Hd1\n');
    expect((await runConfig(dir, { action: 'list' })).stdout).toBe('providers.ocrqueen.api_key = Zq8L…6Hd1\n');
    expect(JSON.parse((await runConfig(dir, { action: 'list', json: true })).stdout)).toEqual({ 'providers.ocrqueen.api_key': 'Zq8L…6Hd1' });
  });

  it('trims a secret with surrounding whitespace, with a notice', async () => {
    const dir = await makeTempDir();
    const set = await runConfig(dir, { action: 'set', key: 'providers.leapocr.webhook_secret', value: `  ${SECRET}\n` });
    expect(set.stderr).toContain('removed whitespace around the value of providers.leapocr.webhook_secret');
    const file = JSON.parse(await fs.readFile(path.join(dir, 'conf', 'config.json'), 'utf8'));
    expect(file.providers.leapocr.webhook_secret).toBe(SECRET);
  });

  it('reads the value from stdin for -', async () => {
    const dir = await makeTempDir();
    const set = await runConfig(dir, { action: 'set', key: 'providers.docextract.api_key', value: '-' }, { stdin: `${KEY}\n` });
    expect(set.exitCode).toBe(0);
    const file = JSON.parse(await fs.readFile(path.join(dir, 'conf', 'config.json'), 'utf8'));
    expect(file.providers.docextract.api_key).toBe(KEY);
  });

  it('notes when an environment variable overrides the stored key', async () => {
    const dir = await makeTempDir();
    const set = await runConfig(dir, { action: 'set', key: 'providers.process-job.api_key', value: KEY }, { env: { DOCUPROX_API_KEY: SECRET } });
    expect(set.stderr).toContain('DOCUPROX_API_KEY is set in the environment and takes precedence');
    const got = await runConfig(dir, { action: 'get', key: 'providers.process-job.api_key' }, { env: { OCRQ_API_KEY: SECRET } });
    expect(got.stderr).toContain('OCRQ_API_KEY is set in the environment');
    // With both set, the note names the one that wins: the provider's own.
    const both = await runConfig(dir, { action: 'get', key: 'providers.process-job.api_key' }, { env: { OCRQ_API_KEY: SECRET, DOCUPROX_API_KEY: SECRET } });
    expect(both.stderr).toContain('DOCUPROX_API_KEY is set in the environment and takes precedence');
  });

  it.each<[string, Partial<ConfigOptions> & Pick<ConfigOptions, 'action'>, RegExp]>([
    ['an unknown key', { action: 'get', key: 'defaults.colour' }, /unknown config key/],
    ['set without a key', { action: 'set' }, /needs a KEY/],
    ['set without a value', { action: 'set', key: 'defaults.rps' }, /needs a VALUE/],
    ['get with a value', { action: 'get', key: 'defaults.rps', value: '3' }, /one KEY only/],
    ['list with a key', { action: 'list', key: 'defaults.rps' }, /takes no arguments/],
    ['an invalid value', { action: 'set', key: 'defaults.workers', value: '0' }, /invalid value for defaults.workers/],
  ])('refuses %s with a usage error (exit 2)', async (_what, options, message) => {
    const dir = await makeTempDir();
    const outcome = await runConfig(dir, options);
    expect(outcome.error).toBeInstanceOf(UsageError);
    expect(outcome.error?.exitCode).toBe(ExitCode.Usage);
    expect(outcome.error?.message).toMatch(message);
  });

  it('lists the valid keys for an unknown one', async () => {
    const outcome = await runConfig(await makeTempDir(), { action: 'set', key: 'providers.azure.api_key', value: 'x' });
    expect(outcome.error?.fix).toContain('providers.{ocrqueen,leapocr,docextract,qomplement,process-job}.{api_key,base_url,webhook_secret}');
  });

  it('leaves out entries it does not know, without naming them', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'conf'));
    await fs.writeFile(
      path.join(dir, 'conf', 'config.json'),
      JSON.stringify({ [KEY]: 1, defaults: { rps: 1, provider: '\u001b[2Jleapocr' }, providers: { ocrqueen: { api_key: { nested: KEY } } } }),
    );
    const listed = await runConfig(dir, { action: 'list' });
    expect(listed.stdout).toBe('defaults.provider = "\\u001b[2Jleapocr"\ndefaults.rps = 1\n');
    expect(listed.stderr).toContain('has 2 entries ocrq does not use');
    expect(visible(listed)).not.toContain(KEY.slice(0, 8));
  });

  it('never shows a stored key or secret in full, in any output of any config command', async () => {
    const dir = await makeTempDir();
    const env = { OCRQ_API_KEY: KEY };
    const runs: Outcome[] = [];
    const apiKey = 'providers.qomplement.api_key';
    const secret = 'providers.qomplement.webhook_secret';
    runs.push(await runConfig(dir, { action: 'set', key: apiKey, value: KEY }, { env }));
    runs.push(await runConfig(dir, { action: 'set', key: secret, value: '-', json: true }, { stdin: `${SECRET}\r\n` }));
    runs.push(await runConfig(dir, { action: 'set', key: apiKey, value: ` ${KEY} `, json: true }));
    for (const json of [false, true]) {
      runs.push(await runConfig(dir, { action: 'get', key: apiKey, json }, { env }));
      runs.push(await runConfig(dir, { action: 'get', key: secret, json }));
      runs.push(await runConfig(dir, { action: 'list', json }));
      runs.push(await runConfig(dir, { action: 'path', json }));
    }
    // Mistakes a user makes with a key in hand: swapped arguments, a key with a line break, a key in a number field.
    runs.push(await runConfig(dir, { action: 'set', key: KEY, value: apiKey }));
    runs.push(await runConfig(dir, { action: 'get', key: KEY }));
    runs.push(await runConfig(dir, { action: 'set', key: apiKey, value: `${KEY}\n${SECRET}` }));
    runs.push(await runConfig(dir, { action: 'set', key: secret, value: `${SECRET} ${KEY}` }));
    runs.push(await runConfig(dir, { action: 'unset', key: apiKey, json: true }));
    runs.push(await runConfig(dir, { action: 'unset', key: secret }));
    runs.push(await runConfig(dir, { action: 'list' }));

    expect(runs.filter((r) => r.error)).toHaveLength(4);
    const all = runs.map(visible).join('\n');
    expect(all).toContain('Zq8L…6Hd1');
    expect(all).toContain('Wh5T…4Gj7');
    for (const value of [KEY, SECRET]) {
      expect(all).not.toContain(value);
      // Not even most of it: nothing longer than the four characters at each end of the mask.
      for (let i = 0; i + 5 <= value.length; i++) expect(all).not.toContain(value.slice(i, i + 5));
    }
  });
});
