/**
 * `ocrq submit --provider NAME --listen` against each provider's fake, which delivers signed webhooks with the
 * provider's own payloads and retry schedule (scaled): every document completes through webhooks alone, and again
 * with half of the webhooks lost, through polling after the callback grace period.
 */
import { createServer } from 'node:net';
import { freePort } from '../helpers/net.js';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../src/main.js';
import { hasAdapter } from '../../src/providers/registry.js';
import { startFakeProvider } from '../fakes/index.js';
import { captureIo } from '../helpers/io.js';
import { fold, readRows } from '../helpers/manifest.js';
import { makeRemoteCorpus } from '../helpers/remote.js';
import { makeTempDir } from '../helpers/tmp.js';
import { CASES } from './cases.js';

const SECRET = 'whsec_listen_test_secret_1234';

/** process-job sends no webhook for a failed job: leave the failing document out where webhooks must do it all. */
const filesFor = (name: string, files: string[]) => (name === 'process-job' ? files.filter((f) => !f.includes('protected')) : files);

describe.each(CASES.filter((c) => hasAdapter(c.name)))('ocrq submit --provider $name --listen', (pc) => {
  async function setup(drop: boolean) {
    const dir = await makeTempDir();
    const files = filesFor(pc.name, pc.files);
    const corpus = await makeRemoteCorpus(dir, files);
    const port = await freePort();
    const dropped = new Set<string>();
    let n = 0;
    const fake = await startFakeProvider(pc.name, {
      texts: corpus.texts,
      failures: corpus.failures,
      // Jobs finish on a timer, so nothing needs a poll to move them along.
      progress: { ms: 150 },
      firstPollSeconds: 0,
      syncMaxPages: 0,
      webhooks: {
        url: `http://127.0.0.1:${port}/provider-hooks`,
        secret: SECRET,
        scheduleScale: 0.001,
        // Half of the jobs never get a webhook through, on any attempt.
        drop: drop
          ? (d: { jobId?: string; id: string }) => {
              const key = d.jobId ?? d.id;
              if (!dropped.has(key) && !dropped.has(`kept:${key}`)) dropped.add(n++ % 2 === 0 ? key : `kept:${key}`);
              return dropped.has(key);
            }
          : undefined,
      },
    } as never);
    onTestFinished(() => fake.close());
    const args = [
      'submit', 'docs', '--provider', pc.name, '--api-key', fake.apiKey, '--base-url', fake.url,
      '--rps', '100', '--poll-interval', '50ms', '--out', 'm.jsonl', '--json',
      '--listen', String(port), '--webhook-secret', SECRET,
      ...pc.options.flatMap((o) => ['--option', o]),
    ];
    return { dir, fake, files, corpus, args };
  }

  const statusPolls = (fake: { requests: Array<{ method: string; path: string; query: string }> }) =>
    fake.requests.filter((r) => r.method === 'GET' && !/\/ocr\/result\//.test(r.path)).length;

  it('completes every document through webhooks alone (polling only after a 10-minute grace)', async () => {
    const { dir, fake, files, corpus, args } = await setup(false);
    const io = captureIo(dir);
    const started = Date.now();
    const code = await run([...args, '--callback-grace', '10m'], io.deps);
    expect(code, io.stderr()).toBe(files.some((f) => f.includes('protected')) ? 3 : 0);
    expect(Date.now() - started).toBeLessThan(30_000);
    const events = io.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(events.find((e) => e.type === 'ready')?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    for (const [source, sha] of corpus.bySource) {
      const row = [...folded.values()].find((r) => r.source === source)!;
      expect(fake.jobs.has(row.job_id)).toBe(true);
      expect(row.status).toBe(corpus.texts.has(sha) ? 'completed' : 'failed');
      const expected = corpus.texts.has(sha) ? pc.expectedText(corpus.texts.get(sha)!.pages) : null;
      if (expected !== null) expect(row.text).toBe(expected);
    }
    // The run's one writer knows the documents in flight: webhook lines carry their content hash and sources too.
    const shaOf = new Map(corpus.bySource);
    const webhookRows = (await readRows(path.join(dir, 'm.jsonl'))).filter((r) => r.via === 'webhook');
    expect(webhookRows.length).toBeGreaterThan(0);
    for (const row of webhookRows) expect(row.sha256, row.job_id).toBe(shaOf.get(row.source));
    // LeapOCR's job.completed carries no text: each completed job is read once after its webhook; nothing else is polled.
    const completedJobs = [...fake.jobs.values()].filter((j) => j.outcome.kind === 'completed').length;
    const jobsNeedingFetch = pc.name === 'leapocr' ? completedJobs : 0;
    expect(statusPolls(fake)).toBe(jobsNeedingFetch);
  }, 60_000);

  it('with half of the webhooks lost, polling after the grace period completes the rest', async () => {
    const { dir, fake, corpus, args } = await setup(true);
    const io = captureIo(dir);
    const code = await run([...args, '--callback-grace', '300ms'], io.deps);
    expect([0, 3]).toContain(code);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    for (const [source, sha] of corpus.bySource) {
      const row = [...folded.values()].find((r) => r.source === source)!;
      expect(row.status, source).toBe(corpus.texts.has(sha) ? 'completed' : 'failed');
    }
    expect(fake.deliveries.some((d) => d.dropped)).toBe(true);
    expect(statusPolls(fake)).toBeGreaterThan(0);
  }, 60_000);
});

describe('ocrq submit --listen when the port is taken', () => {
  it('exits 2 and submits nothing', async () => {
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, ['images/invoice.png']);
    const fake = await startFakeProvider('ocrqueen', { texts: corpus.texts });
    onTestFinished(() => fake.close());
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as { port: number };
    const io = captureIo(dir);
    const code = await run(['submit', 'docs', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--listen', String(port), '--webhook-secret', SECRET], io.deps);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/address|port|in use/i);
    expect(fake.requests).toEqual([]);
  });

  it('refuses to start without a webhook secret for a provider that signs, before any request', async () => {
    const dir = await makeTempDir();
    await makeRemoteCorpus(dir, ['images/invoice.png']);
    const fake = await startFakeProvider('ocrqueen');
    onTestFinished(() => fake.close());
    const io = captureIo(dir, { env: { ...process.env, CI: '1', OCRQ_WEBHOOK_SECRET: '' } });
    const code = await run(['submit', 'docs', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--listen', '0'], io.deps);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/webhook secret/i);
    expect(fake.requests).toEqual([]);
  });
});

describe('ocrq submit --listen resuming jobs submitted earlier', () => {
  it('polls them at once instead of waiting out the grace period for webhooks that went nowhere', async () => {
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, ['images/invoice.png', 'images/receipt.jpg']);
    const fake = await startFakeProvider('ocrqueen', { texts: corpus.texts, firstPollSeconds: 0, progress: { ms: 50 } });
    onTestFinished(() => fake.close());
    const base = ['submit', 'docs', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--json'];
    expect(await run([...base, '--no-wait'], captureIo(dir).deps)).toBe(0);
    const io = captureIo(dir);
    const started = Date.now();
    expect(await run([...base, '--listen', '0', '--webhook-secret', SECRET, '--callback-grace', '10m'], io.deps), io.stderr()).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(io.stdout().trim().split('\n').at(-1)!)).toMatchObject({ completed: 2, processed: 2 });
    expect(fake.requests.filter((r) => r.path === '/v1/extract')).toHaveLength(2);
  });
});
