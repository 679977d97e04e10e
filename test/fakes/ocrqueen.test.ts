import { describe, expect, it } from 'vitest';
import { body, form, pdf, pollUntil, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'ocrqueen'>>>;

function submit(fake: Fake, data: Buffer, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}/v1/extract`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${fake.apiKey}`, ...headers },
    body: form({ file: { data, type: 'application/pdf', name: 'a.pdf' }, ...extra }),
  });
}

describe('OCRQueen fake', () => {
  it('answers missing, malformed and wrong keys with 401 and its codes, and counts every request', async () => {
    const fake = await useFake('ocrqueen');
    expect(fake.url).toBe(fake.origin);
    const tries: Record<string, string>[] = [{}, { Authorization: `Basic ${fake.apiKey}` }, { Authorization: 'Bearer pk_test_wrong0000000000000000000' }];
    const answers = [];
    for (const headers of tries) {
      const res = await fetch(`${fake.url}/v1/jobs/job_x`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-request-id')).toMatch(/^req_/);
      answers.push((await body(res)).detail);
    }
    expect(answers).toEqual([
      expect.stringMatching(/^MISSING_API_KEY: /),
      expect.stringMatching(/^INVALID_AUTH_FORMAT: /),
      expect.stringMatching(/^INVALID_API_KEY: /),
    ]);
    fake.setOptions({ errorShape: 'error', forbidden: true });
    const res = await fetch(`${fake.url}/v1/jobs/job_x`, { headers: { Authorization: `Bearer ${fake.apiKey}` } });
    expect(res.status).toBe(403);
    expect(await body(res)).toEqual({ error: { code: 'INSUFFICIENT_SCOPE', message: expect.any(String) } });
    expect(fake.requests.map((r) => r.status)).toEqual([401, 401, 401, 403]);
  });

  it('submit → poll → result: markdown and page count of a known document', async () => {
    const doc = pdf('known');
    const fake = await useFake('ocrqueen', { texts: new Map([[doc.sha, { pages: ['page one', 'page two'] }]]) });
    const res = await submit(fake, doc.data, { options: JSON.stringify({ callback_url: 'https://hooks.example/x' }) });
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('1');
    const accepted = await body(res);
    expect(accepted).toMatchObject({ job_id: expect.stringMatching(/^job_[0-9a-f]{24}$/), status: 'queued' });
    expect(accepted.status_url).toBe(`${fake.url}/v1/jobs/${accepted.job_id}`);
    const auth = { headers: { Authorization: `Bearer ${fake.apiKey}` } };
    const seen = await pollUntil(accepted.status_url as string, auth, (b) => b.status === 'completed');
    expect(seen.map((b) => b.status)).toEqual(['processing', 'completed']);
    const job = seen[1];
    expect(job.markdown).toBe('page one\n\npage two');
    expect(job.error).toBeNull();
    expect(job).toMatchObject({
      file_info: { filename: 'a.pdf', size_bytes: doc.data.length, mime_type: 'application/pdf' },
      document: { source: { kind: 'pdf', file_hash: doc.sha, page_count: 2 } },
    });
    expect(fake.jobs.get(accepted.job_id as string)?.callbackUrl).toBe('https://hooks.example/x');
    expect(fake.submissionsByContent.get(doc.sha)).toBe(1);
  });

  it('falls back to "text for <hash>" and answers sync=true with the finished job', async () => {
    const doc = pdf('unknown');
    const fake = await useFake('ocrqueen');
    const res = await submit(fake, doc.data, { sync: 'true' });
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({ status: 'completed', markdown: `text for ${doc.sha.slice(0, 12)}` });
    expect([...fake.jobs.values()][0].inline).toBe(true);
  });

  it('a configured failure ends the job failed with its own error code', async () => {
    const doc = pdf('locked');
    const failures = new Map([[doc.sha, { code: 'PDF_PASSWORD_PROTECTED', message: 'locked' }]]);
    const fake = await useFake('ocrqueen', { failures, progress: { polls: 0 } });
    const { job_id: id } = await body(await submit(fake, doc.data));
    const job = await body(await fetch(`${fake.url}/v1/jobs/${id}`, { headers: { Authorization: `Bearer ${fake.apiKey}` } }));
    expect(job).toMatchObject({ status: 'failed', document: null, markdown: null });
    expect(job.error).toEqual({ code: 'PDF_PASSWORD_PROTECTED', message: 'locked' });
  });

  it('refuses an octet-stream part, bad options JSON and the removed profile option with 400', async () => {
    const fake = await useFake('ocrqueen');
    const octet = await fetch(`${fake.url}/v1/extract`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.apiKey}` },
      body: form({ file: { data: pdf('x').data, name: 'upload.bin' } }),
    });
    expect(octet.status).toBe(400);
    expect((await body(octet)).detail).toMatch(/^UNSUPPORTED_FILE_TYPE: /);
    const badJson = await submit(fake, pdf('x').data, { options: '{nope' });
    expect((await body(badJson)).detail).toMatch(/^INVALID_OPTIONS_JSON: /);
    const profile = await submit(fake, pdf('x').data, { options: JSON.stringify({ extraction_profile: 'advanced' }) });
    expect(profile.status).toBe(400);
    expect((await body(profile)).detail).toMatch(/^INVALID_OPTIONS: /);
    expect(fake.jobs.size).toBe(0);
  });

  it('the same Idempotency-Key returns the original job and creates no new one', async () => {
    const doc = pdf('idem');
    const fake = await useFake('ocrqueen');
    const first = await body(await submit(fake, doc.data, {}, { 'Idempotency-Key': 'k-1' }));
    const again = await submit(fake, doc.data, {}, { 'Idempotency-Key': 'k-1' });
    expect(again.status).toBe(202);
    expect((await body(again)).job_id).toBe(first.job_id);
    const other = await body(await submit(fake, doc.data, {}, { 'Idempotency-Key': 'k-2' }));
    expect(other.job_id).not.toBe(first.job_id);
    expect(fake.jobs.size).toBe(2);
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual(['k-1', 'k-1', 'k-2']);
  });

  it('answers 429 RATE_LIMITED with Retry-After over the limit, and X-RateLimit-* on success', async () => {
    const fake = await useFake('ocrqueen', { rateLimit: { rps: 2 } });
    const auth = { headers: { Authorization: `Bearer ${fake.apiKey}` } };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await fetch(`${fake.url}/v1/jobs`, auth));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(answers[0].headers.get('x-ratelimit-limit')).toBe('2');
    expect(answers[1].headers.get('x-ratelimit-remaining')).toBe('0');
    expect(answers[2].headers.get('retry-after')).toBe('1');
    expect((await body(answers[2])).detail).toMatch(/^RATE_LIMITED: /);
  });

  it('an injected 503 answers with its error body, then the retry succeeds', async () => {
    const fake = await useFake('ocrqueen', {
      inject: [{ match: (r) => r.path === '/v1/extract', times: 1, fault: '503' }],
    });
    const failed = await submit(fake, pdf('x').data);
    expect(failed.status).toBe(503);
    expect((await body(failed)).detail).toMatch(/^SERVICE_UNAVAILABLE: /);
    expect((await submit(fake, pdf('x').data)).status).toBe(202);
    expect(fake.jobs.size).toBe(1);
  });

  it('404 JOB_NOT_FOUND; cancel ends a running job and 409s a finished one', async () => {
    const fake = await useFake('ocrqueen', { progress: { polls: 5 } });
    const auth = { Authorization: `Bearer ${fake.apiKey}` };
    expect((await body(await fetch(`${fake.url}/v1/jobs/job_nope`, { headers: auth }))).detail).toMatch(/^JOB_NOT_FOUND: /);
    const { job_id: id } = await body(await submit(fake, pdf('c').data));
    const cancelled = await fetch(`${fake.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth });
    expect((await body(cancelled)).status).toBe('cancelled');
    const again = await fetch(`${fake.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth });
    expect(again.status).toBe(409);
    expect((await body(again)).detail).toMatch(/^JOB_ALREADY_CANCELLED: /);
  });
});
