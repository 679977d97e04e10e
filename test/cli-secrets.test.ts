/**
 * Secrets off the process list: API keys and webhook secrets from files or standard input, a notice when one is given
 * as a flag, and unsigned deliveries from the network only with consent.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../src/main.js';
import { startFakeProvider } from './fakes/index.js';
import { captureIo } from './helpers/io.js';
import { makeManyDocs } from './helpers/remote.js';
import { spawnOcrq } from './helpers/spawn.js';
import { makeTempDir } from './helpers/tmp.js';

const NOTICE = /visible to other local users in the process list/u;

async function setup() {
  const dir = await makeTempDir();
  const texts = await makeManyDocs(dir, 2);
  const fake = await startFakeProvider('ocrqueen', { texts, firstPollSeconds: 0, progress: { polls: 0 } });
  onTestFinished(() => fake.close());
  const args = ['submit', 'many', '--provider', 'ocrqueen', '--base-url', fake.url, '--out', 'm.jsonl', '--json', '--poll-interval', '20ms'];
  return { dir, fake, args };
}

describe('secrets from files', () => {
  it('reads the API key from --api-key-file, or from standard input with -, without a notice', async () => {
    const { dir, fake, args } = await setup();
    await fs.writeFile(path.join(dir, 'key.txt'), `${fake.apiKey}\n`);
    const fromFile = captureIo(dir);
    expect(await run([...args, '--api-key-file', 'key.txt'], fromFile.deps), fromFile.stderr()).toBe(0);
    expect(fromFile.stderr()).not.toMatch(NOTICE);
    const fromStdin = captureIo(dir, { stdin: Readable.from([Buffer.from(fake.apiKey)]) });
    expect(await run([...args, '--api-key-file', '-', '--force'], fromStdin.deps), fromStdin.stderr()).toBe(0);
    expect(fake.requests.every((r) => r.status !== 401)).toBe(true);
  });

  it("sends a provider its own key variable's key, not a generic OCRQ_API_KEY meant for another", async () => {
    const { dir, fake, args } = await setup();
    const io = captureIo(dir, { env: { ...process.env, CI: '1', OCRQ_API_KEY: 'pk_live_meant_for_another_provider_000', OCRQUEEN_API_KEY: fake.apiKey } });
    expect(await run(args, io.deps), io.stderr()).toBe(0);
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.every((r) => r.status !== 401)).toBe(true);
  });

  it('prints a one-line notice when a secret is passed as a flag, and never the secret', async () => {
    const { dir, fake, args } = await setup();
    const io = captureIo(dir);
    expect(await run([...args, '--api-key', fake.apiKey], io.deps)).toBe(0);
    const notices = io.stderr().split('\n').filter((l) => NOTICE.test(l));
    expect(notices).toEqual(['ocrq: note: --api-key on the command line is visible to other local users in the process list; prefer --api-key-file, an environment variable or the config file']);
    expect(io.stderr()).not.toContain(fake.apiKey);
    // -q prints errors only: no notice either.
    const quiet = captureIo(dir);
    expect(await run([...args.filter((a) => a !== '--json'), '--api-key', fake.apiKey, '-q', '--force'], quiet.deps)).toBe(0);
    expect(quiet.stderr()).toBe('');
  });

  it('refuses a missing or empty secret file, and two sources at once, with exit 2 before any request', async () => {
    const { dir, fake, args } = await setup();
    await fs.writeFile(path.join(dir, 'empty.txt'), '\n');
    for (const [extra, message] of [
      [['--api-key-file', 'nope.txt'], /--api-key-file nope\.txt: cannot read it \(ENOENT\)/u],
      [['--api-key-file', 'empty.txt'], /--api-key-file empty\.txt: it holds no secret/u],
      [['--api-key-file', 'empty.txt', '--api-key', 'x'], /--api-key and --api-key-file cannot be combined/u],
    ] as const) {
      const io = captureIo(dir);
      expect(await run([...args, ...extra], io.deps)).toBe(2);
      expect(io.stderr()).toMatch(message);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('verify-signature and listen read their secret from --secret-file', async () => {
    const dir = await makeTempDir();
    const secret = 'whsec_from_a_file_0123456789';
    const body = '{"event":"job.completed"}';
    await fs.writeFile(path.join(dir, 'secret.txt'), secret);
    await fs.writeFile(path.join(dir, 'body.json'), body);
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const io = captureIo(dir);
    expect(await run(['verify-signature', 'body.json', '--secret-file', 'secret.txt', '--signature', signature], io.deps), io.stderr()).toBe(0);
    expect(io.stdout()).toBe('valid\n');
    expect(io.stderr()).not.toMatch(NOTICE);

    const listener = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--secret-file', 'secret.txt', '--out', 'm.jsonl', '--json'], { cwd: dir });
    const url = await new Promise<string>((resolve) => listener.onLine((l) => JSON.parse(l).type === 'ready' && resolve(JSON.parse(l).url)));
    const delivery = JSON.stringify({ data: { document: { markdown: 'hi' } }, event_type: 'extraction.completed', job_id: 'job_1', timestamp: '2026-05-14T12:00:08Z' });
    const sig = `sha256=${createHmac('sha256', secret).update(delivery).digest('hex')}`;
    const res = await fetch(`${url}/hooks/ocrq`, { method: 'POST', body: delivery, headers: { 'content-type': 'application/json', 'ocrqueen-signature': sig, 'ocrqueen-event': 'extraction.completed' } });
    expect(res.status).toBeLessThan(300);
    listener.child.kill('SIGTERM');
    expect((await listener.exited).code).toBe(143);
  });
});

describe('unsigned deliveries from the network', () => {
  it('refuses to listen for a provider that signs nothing on a reachable address without --require-header or --allow-unsigned', async () => {
    const dir = await makeTempDir();
    const refused = await spawnOcrq(['listen', '--port', '0', '--host', '0.0.0.0', '--provider', 'qomplement', '--out', 'm.jsonl'], { cwd: dir }).exited;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/qomplement signs nothing, and --host 0\.0\.0\.0 lets other machines reach the listener/u);
    expect(refused.stderr).toMatch(/--require-header .* or pass --allow-unsigned/u);

    const allowed = spawnOcrq(['listen', '--port', '0', '--host', '0.0.0.0', '--provider', 'qomplement', '--allow-unsigned', '--out', 'm.jsonl', '--json'], { cwd: dir });
    await new Promise<void>((resolve) => allowed.onLine((l) => JSON.parse(l).type === 'ready' && resolve()));
    allowed.child.kill('SIGINT');
    expect((await allowed.exited).code).toBe(130);

    // On loopback it only warns, as before.
    const local = spawnOcrq(['listen', '--port', '0', '--provider', 'qomplement', '--out', 'm.jsonl', '--json'], { cwd: dir });
    await new Promise<void>((resolve) => local.onLine((l) => JSON.parse(l).type === 'ready' && resolve()));
    local.child.kill('SIGINT');
    expect((await local.exited).code).toBe(130);
  });
});
