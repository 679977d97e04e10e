import { describe, expect, it } from 'vitest';
import type { CommandRunners } from '../src/cli.js';
import { run } from '../src/main.js';
import { captureIo } from './helpers/io.js';

function recordingRunners() {
  const calls: Array<{ command: string; options: unknown }> = [];
  const runners: CommandRunners = {
    submit: async (options) => (calls.push({ command: 'submit', options }), { exitCode: 0 }),
    exportManifest: async (options) => (calls.push({ command: 'export', options }), { exitCode: 0 }),
    status: async (options) => (calls.push({ command: 'status', options }), { exitCode: 0 }),
    config: async (options) => (calls.push({ command: 'config', options }), { exitCode: 0 }),
    verifySignature: async (options) => (calls.push({ command: 'verify-signature', options }), { exitCode: 0 }),
    listen: async (options) => (calls.push({ command: 'listen', options }), { exitCode: 0 }),
    repair: async (options) => (calls.push({ command: 'repair', options }), { exitCode: 0 }),
    merge: async (options) => (calls.push({ command: 'merge', options }), { exitCode: 0 }),
  };
  return { calls, runners };
}

describe('argv → options', () => {
  const defaults = {
    include: [],
    exclude: [],
    maxFileSize: 50 * 1024 * 1024,
    engine: undefined,
    provider: undefined,
    apiKey: undefined,
    baseUrl: undefined,
    providerOptions: {},
    rps: undefined,
    burst: undefined,
    concurrency: undefined,
    retries: 5,
    timeoutMs: undefined,
    noWait: false,
    pollIntervalMs: undefined,
    listen: undefined,
    workers: undefined,
    lang: 'eng',
    langPath: undefined,
    dpi: 300,
    forceOcr: false,
    out: 'ocrq-manifest.jsonl',
    csv: undefined,
    resultsDir: undefined,
    retryFailed: false,
    force: false,
    dryRun: false,
    repair: false,
    json: false,
    quiet: false,
  };

  it.each<[string[], Record<string, unknown>]>([
    [['submit', 'docs'], { paths: ['docs'] }],
    [['submit', 'a', 'b.zip', '-'], { paths: ['a', 'b.zip', '-'] }],
    [['submit', 'd', '--include', '*.pdf', '--include', '*.png', '--exclude', 'tmp'], { paths: ['d'], include: ['*.pdf', '*.png'], exclude: ['tmp'] }],
    [['submit', 'd', '--max-file-size', '1.5GiB'], { paths: ['d'], maxFileSize: 1.5 * 1024 ** 3 }],
    [['submit', 'd', '--workers', '3', '--lang', 'eng+deu', '--lang-path', '/td', '--dpi', '200', '--force-ocr'], { paths: ['d'], workers: 3, lang: 'eng+deu', langPath: '/td', dpi: 200, forceOcr: true }],
    [['submit', 'd', '--out', 'm.jsonl', '--csv', 'm.csv', '--results-dir', 'r'], { paths: ['d'], out: 'm.jsonl', csv: 'm.csv', resultsDir: 'r' }],
    [['submit', 'd', '--results-dir', 'r', '--results-layout', 'job'], { paths: ['d'], resultsDir: 'r', resultsLayout: 'job' }],
    [['submit', 'd', '--results-dir', 'r', '--csv', 'm.csv', '--csv-text', 'path'], { paths: ['d'], resultsDir: 'r', csv: 'm.csv', csvText: 'path' }],
    [['submit', 'd', '--csv', 'm.csv', '--csv-text', 'text'], { paths: ['d'], csv: 'm.csv', csvText: 'text' }],
    [['submit', 'd', '--retry-failed'], { paths: ['d'], retryFailed: true }],
    [['submit', 'd', '--retry-failed', 'OCR_FAILED,PDF_INVALID'], { paths: ['d'], retryFailed: ['OCR_FAILED', 'PDF_INVALID'] }],
    [['submit', 'd', '--force', '--dry-run', '--repair', '--json'], { paths: ['d'], force: true, dryRun: true, repair: true, json: true }],
    [['submit', 'd', '-q'], { paths: ['d'], quiet: true }],
    [['submit', 'd', '--min-confidence', '62.5'], { paths: ['d'], minConfidence: 62.5 }],
    [['submit', 'd', '--rotate'], { paths: ['d'], rotate: true }],
    [['submit', 'd', '--no-rotate'], { paths: ['d'], rotate: false }],
    [['submit', 'd', '--psm', 'auto'], { paths: ['d'], psm: 'auto' }],
    [['submit', 'd', '--psm', 'block'], { paths: ['d'], psm: 'block' }],
    [['submit', 'd', '--engine', 'local'], { paths: ['d'], engine: 'local' }],
    [
      ['submit', 'd', '--provider', 'ocrqueen', '--api-key', 'pk_x', '--base-url', 'http://127.0.0.1:9', '--option', 'a=1', '--option', 'b=x=y'],
      { paths: ['d'], provider: 'ocrqueen', apiKey: 'pk_x', baseUrl: 'http://127.0.0.1:9', providerOptions: { a: '1', b: 'x=y' } },
    ],
    [['submit', 'd', '--provider', 'leapocr', '--rps', '0.5', '--burst', '3', '--concurrency', '4', '--retries', '0'], { paths: ['d'], provider: 'leapocr', rps: 0.5, burst: 3, concurrency: 4, retries: 0 }],
    [['submit', 'd', '--shard', '2/4'], { paths: ['d'], shard: { index: 2, count: 4 } }],
    [['submit', 'd', '--shard', ' 0/1 ', '--shard-budget', 'per-shard'], { paths: ['d'], shard: { index: 0, count: 1 }, shardBudget: 'per-shard' }],
    [['submit', 'd', '--provider', 'qomplement', '--timeout', '90s', '--no-wait'], { paths: ['d'], provider: 'qomplement', timeoutMs: 90_000, noWait: true }],
    [['submit', 'd', '--provider', 'ocrqueen', '--listen'], { paths: ['d'], provider: 'ocrqueen', listen: { port: 8787, host: '127.0.0.1', publicUrl: undefined, webhookSecret: undefined, callbackGraceMs: 60_000 } }],
    [
      ['submit', 'd', '--provider', 'ocrqueen', '--listen', '0', '--public-url', 'https://t.example', '--webhook-secret', 'whsec_x', '--callback-grace', '5s'],
      { paths: ['d'], provider: 'ocrqueen', listen: { port: 0, host: '127.0.0.1', publicUrl: 'https://t.example', webhookSecret: 'whsec_x', callbackGraceMs: 5000 } },
    ],
  ])('submit %j', async (argv, expected) => {
    const { calls, runners } = recordingRunners();
    const io = captureIo('/');
    expect(await run(argv, io.deps, runners)).toBe(0);
    expect(calls).toEqual([{ command: 'submit', options: { ...defaults, ...expected } }]);
  });

  it.each<[string[], string, unknown]>([
    [['export', 'm.jsonl'], 'export', { manifest: 'm.jsonl', format: 'jsonl', output: undefined, repair: false, lowConfidence: false }],
    [['export', 'm.jsonl', '--format', 'csv', '-o', 'x.csv', '--repair'], 'export', { manifest: 'm.jsonl', format: 'csv', output: 'x.csv', repair: true, lowConfidence: false }],
    [['export'], 'export', { manifest: 'ocrq-manifest.jsonl', format: 'jsonl', output: undefined, repair: false, lowConfidence: false }],
    [['status', 'm.jsonl', '--json'], 'status', { manifest: 'm.jsonl', json: true, repair: false }],
    [['status', '--repair'], 'status', { manifest: 'ocrq-manifest.jsonl', json: false, repair: true }],
    [['repair'], 'repair', { manifest: 'ocrq-manifest.jsonl', json: false, quiet: false }],
    [['repair', 'm.jsonl', '--json'], 'repair', { manifest: 'm.jsonl', json: true, quiet: false }],
    [['merge', 'a.jsonl', 'b.jsonl', '-o', 'm.jsonl', '--csv', 'm.csv'], 'merge', { inputs: ['a.jsonl', 'b.jsonl'], out: 'm.jsonl', csv: 'm.csv', json: false, quiet: false }],
    [['export', 'm.jsonl', '--low-confidence'], 'export', { manifest: 'm.jsonl', format: 'jsonl', output: undefined, repair: false, lowConfidence: true }],
    [['config', 'set', 'providers.ocrqueen.api_key', '-'], 'config', { action: 'set', key: 'providers.ocrqueen.api_key', value: '-', json: false }],
    [['config', 'list', '--json'], 'config', { action: 'list', key: undefined, value: undefined, json: true }],
    [['config', 'path'], 'config', { action: 'path', key: undefined, value: undefined, json: false }],
    [
      ['listen'],
      'listen',
      { port: 8787, host: '127.0.0.1', provider: 'auto', secret: undefined, requireHeader: undefined, allowUnsigned: false, out: 'ocrq-manifest.jsonl', forwardTo: undefined, untilDone: undefined, timeoutMs: undefined, json: false, quiet: false },
    ],
    [
      ['listen', '--port', '0', '--provider', 'qomplement', '--require-header', 'X-Token: t', '--out', 'm.jsonl', '--until-done', 'm.jsonl', '--timeout', '5m', '--json'],
      'listen',
      { port: 0, host: '127.0.0.1', provider: 'qomplement', secret: undefined, requireHeader: 'X-Token: t', allowUnsigned: false, out: 'm.jsonl', forwardTo: undefined, untilDone: 'm.jsonl', timeoutMs: 300_000, json: true, quiet: false },
    ],
    [
      ['verify-signature', '--secret', 's', '--provider', 'ocrqueen', '--header', 'OCRQueen-Signature: sha256=ab', 'body.json'],
      'verify-signature',
      { secret: 's', provider: 'ocrqueen', scheme: undefined, signature: undefined, headers: ['OCRQueen-Signature: sha256=ab'], toleranceSeconds: undefined, file: 'body.json' },
    ],
    [
      ['verify-signature', '--secret', 's', '--scheme', 'stripe', '--signature', 't=1,v1=ab', '--tolerance', '60', '-'],
      'verify-signature',
      { secret: 's', provider: undefined, scheme: 'stripe', signature: 't=1,v1=ab', headers: [], toleranceSeconds: 60, file: '-' },
    ],
  ])('%j', async (argv, command, options) => {
    const { calls, runners } = recordingRunners();
    expect(await run(argv, captureIo('/').deps, runners)).toBe(0);
    expect(calls).toEqual([{ command, options }]);
  });

  it.each<[string[], RegExp]>([
    [['submit', 'd', '--workers', '0'], /--workers must be a whole number/],
    [['submit', 'd', '--max-file-size', 'huge'], /expected a size/],
    [['submit', 'd', '--engine', 'cloud'], /Allowed choices are local/],
    [['submit', 'd', '--provider', 'acme'], /Allowed choices are ocrqueen, leapocr, docextract, qomplement, process-job/],
    [['submit', 'd', '--provider', 'ocrqueen', '--engine', 'local'], /cannot be combined/],
    [['submit', 'd', '--option', 'novalue'], /expected key=value/],
    [['submit', 'd', '--listen', 'abc'], /not a port/],
    [['submit', 'd', '--webhook-secret', 'x'], /need --listen/],
    [['submit', 'd', '--rps', '0'], /--rps must be a number above 0/],
    // Flags take numbers as variables and the config file do: decimal digits only.
    [['submit', 'd', '--rps', '1e3'], /--rps must be a number above 0, in digits such as 5 or 0.5, not "1e3"/],
    [['submit', 'd', '--workers', '0x10'], /--workers must be a whole number of at least 1, not "0x10"/],
    [['submit', 'd', '--min-confidence', '101'], /expected a confidence from 0 to 100/],
    [['submit', 'd', '--psm', '3'], /Allowed choices are auto, block/],
    [['submit', 'd', '--timeout', 'soon'], /expects a duration/],
    [['submit', 'd', '--json', '--quiet'], /cannot be combined/],
    [['submit', 'd', '--shard', '4/4'], /--shard 4\/4: K must be below N/],
    [['submit', 'd', '--shard', '1'], /expected K\/N/],
    [['submit', 'd', '--shard-budget', 'half'], /Allowed choices are total, per-shard/],
    [['submit', 'd', '--no-such-flag'], /unknown option/],
    [['frobnicate'], /unknown command/],
    [['export', 'm.jsonl', '--format', 'xml'], /Allowed choices are csv, jsonl/],
    [['config', 'frob'], /Allowed choices are get, set, unset, list, path/],
  ])('usage error %j exits 2 with a message', async (argv, message) => {
    const { calls, runners } = recordingRunners();
    const io = captureIo('/');
    expect(await run(argv, io.deps, runners)).toBe(2);
    expect(io.stderr()).toMatch(message);
    // One prefix for every error, whether ocrq or its flag parser found it.
    expect(io.stderr()).toMatch(/^ocrq: error: /m);
    expect(io.stderr()).not.toMatch(/^error: /m);
    expect(calls).toEqual([]);
  });

  it('prints help and version on stdout with exit 0', async () => {
    const io = captureIo('/');
    expect(await run(['--help'], io.deps)).toBe(0);
    expect(io.stdout()).toMatch(/Usage: ocrq/);
    const io2 = captureIo('/');
    expect(await run(['--version'], io2.deps)).toBe(0);
    expect(io2.stdout()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['--no-color', 'submit', 'd'], '1'],
    [['submit', 'd', '--no-color'], '1'],
    [['status', 'm.jsonl', '--no-color'], '1'],
    [['submit', 'd'], undefined],
  ])('%j: --no-color reaches every command as NO_COLOR=1', async (argv, noColor) => {
    const io = captureIo('/', { env: { TERM: 'xterm', FORCE_COLOR: '1' } });
    const seen: Array<NodeJS.ProcessEnv> = [];
    const runners: CommandRunners = {
      ...recordingRunners().runners,
      submit: async (_options, deps) => (seen.push(deps.env), { exitCode: 0 }),
      status: async (_options, deps) => (seen.push(deps.env), { exitCode: 0 }),
    };
    expect(await run(argv, io.deps, runners)).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0].NO_COLOR).toBe(noColor);
    expect(seen[0]).toMatchObject({ TERM: 'xterm', FORCE_COLOR: '1' });
    // The caller's environment is left as it was.
    expect(io.deps.env.NO_COLOR).toBeUndefined();
  });

  it('turns an unexpected exception into exit 1 with a request to report it', async () => {
    const io = captureIo('/');
    const runners: CommandRunners = {
      ...recordingRunners().runners,
      submit: async () => {
        throw new TypeError('boom');
      },
    };
    expect(await run(['submit', 'd'], io.deps, runners)).toBe(1);
    expect(io.stderr()).toMatch(/internal error: boom/);
    expect(io.stderr()).toMatch(/please report/);
  });
});

describe('errors with --json', () => {
  it('a usage error is also reported as a JSON error event on stdout', async () => {
    const io = captureIo('/');
    expect(await run(['submit', '/no/such/dir', '--json'], io.deps)).toBe(2);
    const event = JSON.parse(io.stdout().trim());
    expect(event).toEqual({
      type: 'error',
      error: { kind: 'UsageError', message: '/no/such/dir: no such file or directory', fix: expect.any(String) },
      exit_code: 2,
    });
    expect(io.stderr()).toMatch(/^ocrq: error: \/no\/such\/dir: no such file or directory\n/);
  });
});
