/**
 * What users rely on against any provider, shown with OCRQueen's fake: the rate budget, Retry-After pauses, no
 * double submission after a crash, timeouts and --no-wait leaving jobs to resume, bounded retries, no redirects.
 */
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../src/main.js';
import { startFakeProvider } from '../fakes/index.js';
import { captureIo } from '../helpers/io.js';
import { fold, readRows } from '../helpers/manifest.js';
import { apiRequests, setupMany, summaryOf } from './remote-setup.js';
import { spawnOcrq } from '../helpers/spawn.js';

describe('remote runs', () => {
  it('429 with Retry-After pauses every request until it ends, then every document completes', async () => {
    const { dir, fake, args } = await setupMany(6, { forceRetryAfter: { count: 1, seconds: 1 } });
    const io = captureIo(dir);
    // At 5/s no other request is on its way while the 429 travels back, so every later one waits for the pause.
    expect(await run([...args, '--rps', '5', '--concurrency', '6'], io.deps), io.stderr()).toBe(0);
    const requests = apiRequests(fake);
    const limited = requests.find((r) => r.status === 429)!;
    const after = requests.filter((r) => r.at > limited.at);
    expect(after.length).toBeGreaterThan(0);
    // The client hears the 429 after it arrived here, so the next request cannot arrive earlier than 1 s later.
    for (const r of after) expect(r.at - limited.at).toBeGreaterThanOrEqual(1000);
    expect(summaryOf(io.stdout())).toMatchObject({ completed: 6 });
  });

  it('SIGKILL mid-submission, then a re-run: every document completed, exactly one job per content', async () => {
    const { dir, fake, args } = await setupMany(24, { latencyMs: 30, progress: { polls: 2 } });
    let submits = 0;
    const first = spawnOcrq([...args, '--rps', '40', '--concurrency', '4'], { cwd: dir });
    const killed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        submits = fake.requests.filter((r) => r.path === '/v1/extract').length;
        if (submits >= 8) {
          first.child.kill('SIGKILL');
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await killed;
    expect((await first.exited).signal).toBe('SIGKILL');
    const jobsAfterKill = fake.jobs.size;
    expect(jobsAfterKill).toBeLessThan(24);

    const second = await spawnOcrq([...args, '--rps', '40', '--concurrency', '4'], { cwd: dir }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ completed: 24, failed: 0 });
    expect(fake.jobs.size).toBe(24);
    expect([...fake.submissionsByContent.values()].every((n) => n === 1)).toBe(true);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    expect([...folded.values()].filter((r) => r.status === 'completed').map((r) => r.job_id).sort()).toEqual([...fake.jobs.keys()].sort());
  }, 60_000);

  it('a connection reset after the provider handled the submit: resent under the same key, still one job', async () => {
    const { dir, fake, args } = await setupMany(2, { inject: [{ match: (r) => r.path === '/v1/extract', times: 1, fault: 'reset-after-handling' }] });
    const io = captureIo(dir);
    expect(await run(args, io.deps), io.stderr()).toBe(0);
    const submits = fake.requests.filter((r) => r.path === '/v1/extract');
    expect(submits.length).toBe(3);
    const keys = submits.map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
    expect(fake.jobs.size).toBe(2);
    expect([...fake.submissionsByContent.values()]).toEqual([1, 1]);
    expect(summaryOf(io.stdout())).toMatchObject({ completed: 2 });
  });

  it('--timeout stops waiting with exit 7 and jobs left submitted; the next run polls them without submitting', async () => {
    // The jobs finish 1.5 s after submission, whatever is polled.
    const { dir, fake, args } = await setupMany(3, { progress: { ms: 1500 } });
    const io = captureIo(dir);
    expect(await run([...args, '--timeout', '500ms'], io.deps)).toBe(7);
    expect(summaryOf(io.stdout())).toMatchObject({ pending: 3, completed: 0, exit_code: 7, interrupted: false });
    const rows = fold(await readRows(path.join(dir, 'm.jsonl')));
    expect([...rows.values()].map((r) => r.status)).toEqual(['submitted', 'submitted', 'submitted']);
    const submitsBefore = fake.requests.filter((r) => r.path === '/v1/extract').length;
    const again = captureIo(dir);
    expect(await run(args, again.deps)).toBe(0);
    expect(summaryOf(again.stdout())).toMatchObject({ completed: 3 });
    expect(fake.requests.filter((r) => r.path === '/v1/extract').length).toBe(submitsBefore);
  });

  it('--no-wait submits, records the job ids and exits 0; a later run collects the results', async () => {
    const { dir, fake, args } = await setupMany(4);
    const io = captureIo(dir);
    expect(await run([...args, '--no-wait'], io.deps)).toBe(0);
    expect(summaryOf(io.stdout())).toMatchObject({ pending: 4, completed: 0 });
    expect(apiRequests(fake).every((r) => r.path === '/v1/extract')).toBe(true);
    const again = captureIo(dir);
    expect(await run(args, again.deps)).toBe(0);
    expect(summaryOf(again.stdout())).toMatchObject({ completed: 4 });
    expect(fake.jobs.size).toBe(4);
  });

  it('a server that only answers 500: bounded requests, every document failed, exit 4', async () => {
    const { dir, fake, args } = await setupMany(4, { inject: [{ match: () => true, times: Infinity, fault: '500' }] });
    const io = captureIo(dir);
    const started = Date.now();
    expect(await run([...args, '--retries', '2'], io.deps)).toBe(4);
    expect(apiRequests(fake).length).toBeLessThanOrEqual(4 * (1 + 2));
    expect(Date.now() - started).toBeLessThan(20_000);
    const rows = fold(await readRows(path.join(dir, 'm.jsonl')));
    for (const row of rows.values()) expect(row).toMatchObject({ status: 'failed', error: { code: 'HTTP_500' } });
  });

  it('a redirect on submit is not followed (the key never goes to another origin)', async () => {
    const other = await startFakeProvider('ocrqueen');
    onTestFinished(() => other.close());
    const { dir, fake, args } = await setupMany(1, {
      inject: [{ match: (r) => r.path === '/v1/extract', times: Infinity, fault: { status: 307, body: '', headers: { location: `${other.url}/v1/extract` } } }],
    });
    const io = captureIo(dir);
    expect(await run(args, io.deps)).toBe(4);
    expect(other.requests).toEqual([]);
    const row = [...fold(await readRows(path.join(dir, 'm.jsonl'))).values()][0];
    expect(row).toMatchObject({ status: 'failed', error: { code: 'HTTP_307' } });
    expect(fake.requests).toHaveLength(1);
  });

  it('a rejected key costs exactly one request even with many documents ready to go at a high rate', async () => {
    const { dir, fake, args } = await setupMany(30);
    const io = captureIo(dir);
    const argv = args.map((a) => (a === fake.apiKey ? 'pk_test_wrong_key_0000000000000000' : a));
    expect(await run([...argv, '--rps', '1000', '--burst', '50', '--concurrency', '32'], io.deps)).toBe(5);
    expect(fake.requests).toHaveLength(1);
  });

  it('configuration mistakes stop before any request: unknown option, missing key', async () => {
    const { dir, fake, args } = await setupMany(1);
    const io = captureIo(dir);
    expect(await run([...args, '--option', 'colour=blue'], io.deps)).toBe(2);
    expect(io.stderr()).toMatch(/ocrqueen has no option "colour"/);
    const noKey = captureIo(dir, { env: { ...process.env, CI: '1', OCRQ_API_KEY: '', OCRQUEEN_API_KEY: '' } });
    expect(await run(args.filter((a, i) => a !== '--api-key' && args[i - 1] !== '--api-key'), noKey.deps)).toBe(2);
    expect(noKey.stderr()).toMatch(/no API key for ocrqueen/);
    expect(fake.requests).toEqual([]);
  });
});
