import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { PROVIDER_NAMES, maxRequestsInWindow, startFakeProvider, type FakeJob } from './index.js';
import { body, pdf, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'process-job'>>>;
const TEMPLATE = 'tpl-1';

function submit(fake: Fake, tag = 'doc', signal?: AbortSignal) {
  return fetch(`${fake.url}/process-job`, {
    method: 'POST',
    headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ template_id: TEMPLATE, actual_image: pdf(tag).data.toString('base64') }),
    signal,
  });
}
const status = (fake: Fake, id: unknown) => fetch(`${fake.url}/job-status?job_id=${id}`, { headers: { 'x-auth': fake.apiKey } });
const isSubmit = (r: { method: string }) => r.method === 'POST';

describe('fake provider base', () => {
  it('serves each provider at the base URL its contract gives, on 127.0.0.1', async () => {
    const suffix = { ocrqueen: '', leapocr: '/api/v1', docextract: '/v1', qomplement: '/v1', 'process-job': '/v1' };
    for (const name of PROVIDER_NAMES) {
      const fake = await startFakeProvider(name);
      try {
        expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
        expect(fake.url).toBe(fake.origin + suffix[name]);
      } finally {
        await fake.close();
      }
    }
  });

  it('records every request with method, path, arrival time and status; unknown routes get the provider body', async () => {
    const fake = await useFake('process-job');
    const before = performance.now();
    await submit(fake);
    await fetch(`${fake.url}/nowhere?x=1`, { headers: { 'x-auth': fake.apiKey } });
    const wrongMethod = await fetch(`${fake.url}/job-results`, { headers: { 'x-auth': fake.apiKey } });
    expect(wrongMethod.status).toBe(405);
    expect(await body(wrongMethod)).toEqual({ error: 'Method Not Allowed', message: expect.any(String) });
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/process-job', 202],
      ['GET', '/v1/nowhere', 404],
      ['GET', '/v1/job-results', 405],
    ]);
    expect(fake.requests[1].query).toBe('?x=1');
    expect(fake.requests[0].at).toBeGreaterThanOrEqual(before);
    expect(fake.requests[0].body.length).toBeGreaterThan(0);
  });

  it('forceRetryAfter answers the next N requests 429 with delta seconds or an HTTP-date, or 503', async () => {
    const fake = await useFake('process-job', { forceRetryAfter: { count: 2, seconds: 3 } });
    const a = await submit(fake);
    expect([a.status, a.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await submit(fake)).status).toBe(429);
    expect((await submit(fake)).status).toBe(202);
    fake.setOptions({ forceRetryAfter: { count: 1, seconds: 120, httpDate: true, status: 503 } });
    const d = await submit(fake);
    expect(d.status).toBe(503);
    const at = Date.parse(d.headers.get('retry-after')!);
    expect((at - Date.now()) / 1000).toBeGreaterThan(115);
    expect((at - Date.now()) / 1000).toBeLessThanOrEqual(120);
    expect(fake.jobs.size).toBe(1);
  });

  it('enforces a sliding window and Retry-After until the oldest request leaves it', async () => {
    const fake = await useFake('process-job', { rateLimit: { rps: 5, windowMs: 200 } });
    const first = await submit(fake);
    const second = await submit(fake);
    expect([first.status, second.status]).toEqual([202, 429]);
    await new Promise((r) => setTimeout(r, 220));
    expect((await submit(fake)).status).toBe(202);
    const admitted = fake.requests.filter((r) => r.status === 202);
    expect(maxRequestsInWindow(admitted, 200)).toBe(1);
    expect(maxRequestsInWindow(fake.requests, 1000)).toBe(3);
  });

  it('maxRequestsInWindow counts half-open windows', () => {
    const at = (...ts: number[]) => ts.map((t) => ({ at: t }));
    expect(maxRequestsInWindow(at(0, 200, 400, 600, 800, 1000))).toBe(5);
    expect(maxRequestsInWindow(at(0, 999, 1000, 1001))).toBe(3);
    expect(maxRequestsInWindow([])).toBe(0);
  });

  it("'reset' drops the connection before any processing; 'reset-after-handling' after creating the job", async () => {
    const fake = await useFake('process-job', {
      inject: [
        { match: isSubmit, times: 1, fault: 'reset' },
        { match: isSubmit, times: 1, fault: 'reset-after-handling' },
      ],
    });
    await expect(submit(fake)).rejects.toThrow();
    expect(fake.jobs.size).toBe(0);
    await expect(submit(fake)).rejects.toThrow();
    expect(fake.jobs.size).toBe(1);
    expect((await submit(fake)).status).toBe(202);
    expect(fake.requests.map((r) => [r.fault, r.status])).toEqual([
      ['reset', 0],
      ['reset-after-handling', 0],
      [undefined, 202],
    ]);
  });

  it("'hang' never answers (the client times out) and close() ends hung requests", async () => {
    const fake = await startFakeProvider('process-job', { inject: [{ match: isSubmit, times: 2, fault: 'hang' }] });
    await expect(submit(fake, 'doc', AbortSignal.timeout(150))).rejects.toThrow(/timeout|aborted/i);
    expect(fake.requests[0]).toMatchObject({ fault: 'hang', status: 0 });
    const hung = submit(fake, 'doc2');
    hung.catch(() => undefined);
    while (fake.requests.length < 2 || fake.requests[1].fault === undefined) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await fake.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(hung).rejects.toThrow();
    expect(fake.jobs.size).toBe(0);
  });

  it("'slow-body' sends headers at once and dribbles the real body", async () => {
    const fake = await useFake('process-job', {
      inject: [{ match: isSubmit, times: 2, fault: 'slow-body' }],
      slowBody: { chunkBytes: 16, intervalMs: 5 },
    });
    const started = performance.now();
    const res = await submit(fake);
    expect(res.status).toBe(202);
    const text = await res.text();
    expect(performance.now() - started).toBeGreaterThan(5 * Math.floor(text.length / 16));
    expect(JSON.parse(text)).toMatchObject({ template_id: TEMPLATE });

    fake.setOptions({ slowBody: { chunkBytes: 1, intervalMs: 1000 } });
    const controller = new AbortController();
    const slow = await submit(fake, 'doc', controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(slow.text()).rejects.toThrow();
  });

  it('custom faults, times and matching; latencyMs delays answers', async () => {
    const fake = await useFake('process-job', {
      inject: [{ match: (r) => r.path.endsWith('/job-status'), times: 2, fault: { status: 502, body: { oops: 1 }, headers: { 'X-Test': 'y' } } }],
      latencyMs: 60,
    });
    const started = performance.now();
    const { job_id: id } = await body(await submit(fake));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    const first = await status(fake, id);
    expect([first.status, first.headers.get('x-test')]).toEqual([502, 'y']);
    expect(await body(first)).toEqual({ oops: 1 });
    expect((await status(fake, id)).status).toBe(502);
    expect((await status(fake, id)).status).toBe(200);
  });

  it('progress by polls walks the non-terminal states; by ms a timer finishes the job and calls onJobFinished once', async () => {
    const finished: FakeJob[] = [];
    const fake = await useFake('process-job', { progress: { polls: 3 }, onJobFinished: (j) => finished.push(j) });
    const { job_id: a } = await body(await submit(fake, 'a'));
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push((await body(await status(fake, a))).status);
    expect(seen).toEqual(['NEW', 'PROCESSING IMAGE', 'PROCESSING IMAGE', 'SUCCESS', 'SUCCESS']);
    expect(finished.map((j) => j.id)).toEqual([a]);

    fake.setOptions({ progress: { ms: 80 } });
    const { job_id: b } = await body(await submit(fake, 'b'));
    expect((await body(await status(fake, b))).status).toBe('NEW');
    await new Promise((r) => setTimeout(r, 120));
    expect(finished.map((j) => j.id)).toEqual([a, b]);
    expect(fake.jobs.get(b as string)).toMatchObject({ terminal: true, status: 'SUCCESS' });
  });

  it('answers bodies over maxBodyBytes with 413 and the provider body', async () => {
    const fake = await useFake('process-job', { maxBodyBytes: 64 });
    const res = await submit(fake);
    expect(res.status).toBe(413);
    expect(await body(res)).toEqual({ error: 'Payload Too Large', message: expect.any(String) });
  });
});
