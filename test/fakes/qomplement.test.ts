import { describe, expect, it } from 'vitest';
import { body, form, pdf, pollUntil, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'qomplement'>>>;

function extract(fake: Fake, fd: FormData, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}/extract`, { method: 'POST', headers: { Authorization: `Bearer ${fake.apiKey}`, ...headers }, body: fd });
}
const file = (data: Buffer) => ({ data, type: 'application/pdf', name: 'a.pdf' });
const auth = (fake: Fake) => ({ headers: { Authorization: `Bearer ${fake.apiKey}` } });

describe('qomplement fake', () => {
  it('answers a missing or wrong key with 401 {detail}, and a revoked one with 403', async () => {
    const fake = await useFake('qomplement');
    expect(fake.url).toBe(`${fake.origin}/v1`);
    expect(fake.apiKey).toMatch(/^sd_[0-9a-f]{48}$/);
    const missing = await fetch(`${fake.url}/jobs/x`);
    expect(missing.status).toBe(401);
    expect(await body(missing)).toEqual({ detail: 'Not authenticated' });
    const wrong = await fetch(`${fake.url}/jobs/x`, { headers: { Authorization: 'Bearer sd_wrong' } });
    expect(await body(wrong)).toEqual({ detail: 'Could not validate credentials' });
    fake.setOptions({ forbidden: true });
    expect((await fetch(`${fake.url}/jobs/x`, auth(fake))).status).toBe(403);
    expect(fake.requests).toHaveLength(3);
  });

  it('answers one small file without webhook_url inline with 200 and the result', async () => {
    const doc = pdf('small');
    const fake = await useFake('qomplement', { texts: new Map([[doc.sha, 'Total: 12']]) });
    const res = await extract(fake, form({ file: file(doc.data) }));
    expect(res.status).toBe(200);
    const b = await body(res);
    expect(b).toMatchObject({ id: expect.any(String), status: 'completed', result: { fields: { text: 'Total: 12' }, pages_processed: 1 } });
    expect(fake.jobs.get(b.id as string)?.inline).toBe(true);
  });

  it('with webhook_url: 202 → poll pending/processing → completed, the callback URL kept on the job', async () => {
    const doc = pdf('async');
    const fake = await useFake('qomplement', { texts: new Map([[doc.sha, 'async text']]), progress: { polls: 2 } });
    const res = await extract(fake, form({ file: file(doc.data), model: 'qomplement-OCR-XL-v1', webhook_url: 'https://hooks.example/q' }));
    expect(res.status).toBe(202);
    const { id, status } = await body(res);
    expect(status).toBe('pending');
    const seen = await pollUntil(`${fake.url}/jobs/${id}`, auth(fake), (b) => b.status === 'completed');
    expect(seen.map((b) => b.status)).toEqual(['pending', 'processing', 'completed']);
    expect(seen[2].result).toMatchObject({ fields: { text: 'async text' }, markdown: 'async text', model: 'qomplement-OCR-XL-v1' });
    expect(fake.jobs.get(id as string)?.callbackUrl).toBe('https://hooks.example/q');
  });

  it('answers 202 for more than 5 pages and for several `files` parts (one job)', async () => {
    const big = pdf('big');
    const fake = await useFake('qomplement', { texts: new Map([[big.sha, { pages: ['1', '2', '3', '4', '5', '6'] }]]) });
    expect((await extract(fake, form({ file: file(big.data) }))).status).toBe(202);
    const two = new FormData();
    two.append('files', new Blob([pdf('a').data], { type: 'application/pdf' }), 'a.pdf');
    two.append('files', new Blob([pdf('b').data], { type: 'application/pdf' }), 'b.pdf');
    expect((await extract(fake, two)).status).toBe(202);
    expect(fake.jobs.size).toBe(2);
    expect([...fake.jobs.values()][1].files).toHaveLength(2);
    const missing = await extract(fake, form({ model: 'qomplement-OCR-v1' }));
    expect(missing.status).toBe(422);
    expect(await body(missing)).toEqual({ detail: [{ loc: ['body', 'files'], msg: 'Field required', type: 'missing' }] });
  });

  it('a configured failure ends the async job failed with error {code, message}', async () => {
    const doc = pdf('broken');
    const fake = await useFake('qomplement', {
      failures: new Map([[doc.sha, { code: 'processing_error', message: 'OCR failed' }]]),
      progress: { polls: 0 },
    });
    const { id } = await body(await extract(fake, form({ file: file(doc.data), webhook_url: 'https://hooks.example/q' })));
    const job = await body(await fetch(`${fake.url}/jobs/${id}`, auth(fake)));
    expect(job).toMatchObject({ status: 'failed', result: null, error: { code: 'processing_error', message: 'OCR failed' } });
  });

  it('has no idempotency: the key is recorded and a resubmission is a second job', async () => {
    const doc = pdf('twice');
    const fake = await useFake('qomplement');
    const a = await body(await extract(fake, form({ file: file(doc.data) }), { 'Idempotency-Key': 'k' }));
    const b = await body(await extract(fake, form({ file: file(doc.data) }), { 'Idempotency-Key': 'k' }));
    expect(b.id).not.toBe(a.id);
    expect(fake.submissionsByContent.get(doc.sha)).toBe(2);
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual(['k', 'k']);
  });

  it('answers 429 with Retry-After and its per-minute detail text', async () => {
    const fake = await useFake('qomplement', { rateLimit: { rps: 1 } });
    expect((await fetch(`${fake.url}/jobs`, auth(fake))).status).toBe(200);
    const limited = await fetch(`${fake.url}/jobs`, auth(fake));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await body(limited)).toEqual({ detail: 'Rate limit exceeded. 60 requests per minute allowed.' });
  });

  it('an injected 503 then success', async () => {
    const fake = await useFake('qomplement', { inject: [{ match: (r) => r.path === '/v1/extract', times: 1, fault: '503' }] });
    const failed = await extract(fake, form({ file: file(pdf('x').data) }));
    expect(failed.status).toBe(503);
    expect(await body(failed)).toEqual({ detail: expect.any(String) });
    expect((await extract(fake, form({ file: file(pdf('x').data) }))).status).toBe(200);
  });
});
