import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listen, type ListenOptions } from '../../src/commands/listen/index.js';
import { ExitCode } from '../../src/errors.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { captureIo, type CapturedIo } from '../helpers/io.js';
import { readRows } from '../helpers/manifest.js';
import { makeTempDir } from '../helpers/tmp.js';
import { docextractHeaders, hmacHex, ocrqueenCompleted, ocrqueenFailed, ocrqueenHeaders, post, SECRETS, submittedRow } from '../results/webhook-helpers.js';

const SECRET = SECRETS.ocrqueen;

function options(overrides: Partial<ListenOptions> = {}): ListenOptions {
  return { port: 0, host: '127.0.0.1', provider: 'auto', secret: SECRET, out: 'm.jsonl', json: true, quiet: false, closeGraceMs: 2000, ...overrides };
}

async function setup(env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; io: CapturedIo }> {
  const dir = await makeTempDir('ocrq-listen-cmd-');
  const base: NodeJS.ProcessEnv = { ...process.env, CI: '1', OCRQ_CONFIG_DIR: path.join(dir, 'config') };
  delete base.OCRQ_WEBHOOK_SECRET;
  const io = captureIo(dir, { env: { ...base, ...env } });
  // A test that fails midway must not leave its listener running.
  onTestFinished(() => io.abort('SIGINT'));
  return { dir, io };
}

async function waitFor<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const jsonLines = (io: CapturedIo) =>
  io
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The URL from the ready line: the first stdout line with --json, a stderr line otherwise. */
async function readyUrl(io: CapturedIo, json = true): Promise<string> {
  if (json) {
    const first = await waitFor(() => io.stdout().includes('\n') && io.stdout().split('\n')[0], 'the ready line');
    const ready = JSON.parse(first) as { type: string; url: string };
    expect(Object.keys(ready)).toEqual(['type', 'url']);
    expect(ready.type).toBe('ready');
    return ready.url;
  }
  return waitFor(() => /listening on (http:\/\/\S+)/.exec(io.stderr())?.[1], 'the ready line on stderr');
}

async function writeManifest(file: string, rows: ManifestRow[]): Promise<void> {
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

describe('ocrq listen', () => {
  it('prints the ready line first once bound, stores a delivery durably, and exits 130 on SIGINT', async () => {
    const { dir, io } = await setup();
    await writeManifest(path.join(dir, 'm.jsonl'), [submittedRow('job_1', 'ocrqueen')]);
    const running = listen(options(), io.deps);
    const url = await readyUrl(io);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = ocrqueenCompleted('job_1', 'hello');
    expect((await post(url, body, ocrqueenHeaders(body))).status).toBe(200);
    expect((await post(url, body, ocrqueenHeaders(body))).status).toBe(200);
    // Durable before the 2xx: the row is on disk while the listener still runs.
    expect((await readRows(path.join(dir, 'm.jsonl'))).at(-1)).toMatchObject({ job_id: 'job_1', status: 'completed', text: 'hello' });
    io.abort('SIGINT');
    const result = await running;
    expect(result).toMatchObject({ exitCode: ExitCode.Interrupted, summary: { deliveries: 2, stored: 1, duplicates: 1, interrupted: true, exit_code: ExitCode.Interrupted } });
    const events = jsonLines(io);
    expect(events.map((e) => e.type)).toEqual(['ready', 'delivery', 'delivery', 'summary']);
    expect(events[1]).toMatchObject({ provider: 'ocrqueen', job_id: 'job_1', status: 'completed', outcome: 'stored' });
    expect(events.at(-1)).toMatchObject({ type: 'summary', stored: 1, exit_code: 130 });
    // The lock is released and the manifest closed.
    await expect(fs.access(path.join(dir, 'm.jsonl.lock'))).rejects.toThrow();
    expect(io.stdout() + io.stderr()).not.toContain(SECRET);
  });

  it('without --json: the ready line goes to stderr and stdout stays empty', async () => {
    const { io } = await setup();
    const running = listen(options({ json: false }), io.deps);
    const url = await readyUrl(io, false);
    const body = ocrqueenFailed('job_2', 'PDF_INVALID');
    expect((await post(url, body, ocrqueenHeaders(body))).status).toBe(200);
    expect((await post(url, body, { 'ocrqueen-signature': 'sha256=' + '0'.repeat(64) })).status).toBe(401);
    io.abort('SIGTERM');
    expect((await running).exitCode).toBe(ExitCode.Terminated);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toMatch(/ocrqueen job_2 failed PDF_INVALID: stored/);
    expect(io.stderr()).toMatch(/rejected a delivery for ocrqueen \(401: wrong signature/);
  });

  it('exits 2 when the port is taken, before printing a ready line, and releases the manifest', async () => {
    const { dir, io } = await setup();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const error = await listen(options({ port }), io.deps).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ exitCode: ExitCode.Usage });
      expect((error as Error).message).toMatch(/EADDRINUSE/);
      expect(io.stdout()).toBe('');
      await expect(fs.access(path.join(dir, 'm.jsonl.lock'))).rejects.toThrow();
    } finally {
      blocker.close();
    }
  });

  it.each([
    ['no secret anywhere', { secret: undefined }, {}],
    ['an empty --secret', { secret: '' }, {}],
    ['whsec_ with nothing after it', { secret: 'whsec_' }, {}],
    ['an empty OCRQ_WEBHOOK_SECRET', { secret: undefined }, { OCRQ_WEBHOOK_SECRET: '' }],
    ['a named signing provider without its secret', { secret: undefined, provider: 'docextract' as const }, {}],
  ])('refuses to start (exit 2) with %s, before touching the manifest', async (_name, overrides, env) => {
    const { dir, io } = await setup(env);
    const error = await listen(options(overrides), io.deps).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ exitCode: ExitCode.Usage });
    expect(io.stdout()).toBe('');
    await expect(fs.access(path.join(dir, 'm.jsonl'))).rejects.toThrow();
  });

  it('trims a secret read with its trailing newline, says so, and verifies with it', async () => {
    const { io } = await setup({ OCRQ_WEBHOOK_SECRET: `${SECRET}\n` });
    const running = listen(options({ secret: undefined }), io.deps);
    const url = await readyUrl(io);
    const body = ocrqueenCompleted('job_t', 't');
    expect((await post(url, body, ocrqueenHeaders(body))).status).toBe(200);
    io.abort('SIGINT');
    await running;
    expect(jsonLines(io).find((e) => e.type === 'warning')?.message).toMatch(/whitespace/);
  });

  it('auto mode takes each provider\'s secret from the config file', async () => {
    const { dir, io } = await setup();
    await fs.mkdir(path.join(dir, 'config'));
    await fs.writeFile(path.join(dir, 'config', 'config.json'), JSON.stringify({ providers: { docextract: { webhook_secret: SECRETS.docextract } } }));
    const running = listen(options({ secret: undefined }), io.deps);
    const url = await readyUrl(io);
    const dx = JSON.stringify({ event: 'job.completed', data: { id: 'dx_1', status: 'completed' } });
    expect((await post(url, dx, docextractHeaders(dx))).status).toBe(200);
    // No OCRQueen secret is configured: its deliveries are refused, never let in.
    const oq = ocrqueenCompleted('job_o', 't');
    expect((await post(url, oq, ocrqueenHeaders(oq))).status).toBe(401);
    io.abort('SIGINT');
    expect((await running).summary).toMatchObject({ stored: 1, rejected: 1 });
  });

  it('--until-done: exits 0 once every job of the manifest is completed or failed', async () => {
    const { dir, io } = await setup();
    const done = { ...submittedRow('job_done', 'ocrqueen'), status: 'completed' as const, text: 'x' };
    await writeManifest(path.join(dir, 'm.jsonl'), [submittedRow('job_a', 'ocrqueen'), submittedRow('job_b', 'ocrqueen'), done]);
    const running = listen(options({ untilDone: 'm.jsonl' }), io.deps);
    const url = await readyUrl(io);
    const a = ocrqueenCompleted('job_a', 'a');
    expect((await post(url, a, ocrqueenHeaders(a))).status).toBe(200);
    let settled = false;
    void running.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    const b = ocrqueenFailed('job_b', 'PDF_INVALID');
    expect((await post(url, b, ocrqueenHeaders(b))).status).toBe(200);
    expect(await running).toMatchObject({ exitCode: ExitCode.Ok, summary: { pending: 0, stored: 2 } });
  });

  it('--until-done with another manifest: its jobs are finished by the deliveries stored in --out', async () => {
    const { dir, io } = await setup();
    await writeManifest(path.join(dir, 'batch.jsonl'), [submittedRow('job_x', 'ocrqueen')]);
    const running = listen(options({ out: 'results.jsonl', untilDone: 'batch.jsonl' }), io.deps);
    const url = await readyUrl(io);
    const x = ocrqueenCompleted('job_x', 'x');
    expect((await post(url, x, ocrqueenHeaders(x))).status).toBe(200);
    expect((await running).exitCode).toBe(ExitCode.Ok);
    expect((await readRows(path.join(dir, 'results.jsonl'))).map((r) => r.job_id)).toEqual(['job_x']);
  });

  it('--timeout: exits 7 when time runs out with jobs still pending', async () => {
    const { dir, io } = await setup();
    await writeManifest(path.join(dir, 'm.jsonl'), [submittedRow('job_slow', 'ocrqueen')]);
    const started = Date.now();
    const result = await listen(options({ untilDone: 'm.jsonl', timeoutMs: 300 }), io.deps);
    expect(result).toMatchObject({ exitCode: ExitCode.Timeout, summary: { pending: 1, timed_out: true } });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('SIGTERM: stops accepting, finishes the delivery in flight (stored and answered), then exits 143', async () => {
    const { dir, io } = await setup();
    const running = listen(options(), io.deps);
    const url = await readyUrl(io);
    const body = ocrqueenCompleted('job_inflight', 'late but stored');
    const { port } = new URL(url);
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { ...ocrqueenHeaders(body), 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.slice(0, 20));
      // The signal arrives while the body is still coming.
      setTimeout(() => {
        io.abort('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 100);
      }, 50);
    });
    expect(await answer).toBe(200);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve('connected')));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(await running).toMatchObject({ exitCode: ExitCode.Terminated, summary: { stored: 1 } });
    expect((await readRows(path.join(dir, 'm.jsonl')))[0]).toMatchObject({ job_id: 'job_inflight', text: 'late but stored' });
  });

  it('an unsigned provider with --require-header: checks the header, stores only jobs of this manifest', async () => {
    const { dir, io } = await setup();
    await writeManifest(path.join(dir, 'm.jsonl'), [submittedRow('pj_1', 'process-job')]);
    const running = listen(options({ provider: 'process-job', secret: undefined, requireHeader: 'X-Hook-Token: tok123' }), io.deps);
    const url = await readyUrl(io);
    const known = JSON.stringify({ job_id: 'pj_1', template_id: 't', static_values: {}, result: { total: '9' } });
    const unknown = JSON.stringify({ job_id: 'pj_other', template_id: 't', static_values: {}, result: { total: '1' } });
    expect((await post(url, known)).status).toBe(401);
    expect((await post(url, known, { 'x-hook-token': 'tok123' })).status).toBe(200);
    expect((await post(url, unknown, { 'x-hook-token': 'tok123' })).status).toBe(202);
    io.abort('SIGINT');
    expect((await running).summary).toMatchObject({ stored: 1, unmatched: 1, rejected: 1 });
    const rows = await readRows(path.join(dir, 'm.jsonl'));
    expect(rows.map((r) => `${r.job_id}:${r.status}`)).toEqual(['pj_1:submitted', 'pj_1:completed']);
  });

  it('refuses a malformed --require-header, --port or --forward-to as usage errors', async () => {
    const { io } = await setup();
    for (const bad of [{ requireHeader: 'no colon' }, { requireHeader: 'X-A:' }, { port: 70000 }, { forwardTo: 'ftp://x' }, { json: true, quiet: true }]) {
      await expect(listen(options(bad), io.deps), JSON.stringify(bad)).rejects.toMatchObject({ exitCode: ExitCode.Usage });
    }
  });

  it('reports webhook.test and a low-credit event (NDJSON on stdout, low credit prominently on stderr), no rows', async () => {
    const { dir, io } = await setup();
    const running = listen(options({ secret: SECRETS.docextract, provider: 'docextract' }), io.deps);
    const url = await readyUrl(io);
    const low = JSON.stringify({ event: 'credits.low_balance', data: { org_id: 'o', current_balance: 12, threshold: 50 } });
    const test = JSON.stringify({ event: 'webhook.test', data: { message: 'hello' } });
    expect((await post(url, low, { 'x-docextract-signature': hmacHex(SECRETS.docextract, low) })).status).toBe(200);
    expect((await post(url, test, { 'x-docextract-signature': hmacHex(SECRETS.docextract, test) })).status).toBe(200);
    io.abort('SIGINT');
    expect((await running).summary).toMatchObject({ events: 2, stored: 0 });
    const events = jsonLines(io).filter((e) => e.type === 'provider_event');
    expect(events).toEqual([
      { type: 'provider_event', provider: 'docextract', event: 'credits.low_balance', event_id: null, low_credit: true, data: { org_id: 'o', current_balance: 12, threshold: 50 } },
      { type: 'provider_event', provider: 'docextract', event: 'webhook.test', event_id: null, low_credit: false, data: { message: 'hello' } },
    ]);
    expect(io.stderr()).toMatch(/WARNING: docextract reports low credits \(current balance 12, threshold 50\)/);
    expect(await readRows(path.join(dir, 'm.jsonl'))).toEqual([]);
  });
});
