import { describe, expect, it } from 'vitest';
import { body, pdf, pollUntil, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'docextract'>>>;

function submit(fake: Fake, data: Buffer | string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}/documents`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${fake.apiKey}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({
      extractor_id: 'ext_invoice',
      document: typeof data === 'string' ? data : data.toString('base64'),
      mime_type: 'application/pdf',
      filename: 'a.pdf',
      ...extra,
    }),
  });
}

describe('DocExtract fake', () => {
  it('answers a missing or wrong key with 401 in the error envelope', async () => {
    const fake = await useFake('docextract');
    expect(fake.url).toBe(`${fake.origin}/v1`);
    const missing = await fetch(`${fake.url}/documents/job_x`);
    expect(missing.status).toBe(401);
    expect(await body(missing)).toEqual({
      error: {
        code: 'missing_authorization',
        message: expect.any(String),
        status: 401,
        request_id: expect.stringMatching(/^req_/),
        documentation_url: expect.any(String),
      },
    });
    const wrong = await fetch(`${fake.url}/documents/job_x`, { headers: { Authorization: 'Bearer sk_test_wrong' } });
    expect(((await body(wrong)).error as { code: string }).code).toBe('invalid_api_key');
    expect(fake.requests.map((r) => r.status)).toEqual([401, 401]);
  });

  it('submit (JSON, base64) → poll → extracted_data with the text of a known document', async () => {
    const doc = pdf('invoice');
    const fake = await useFake('docextract', { texts: new Map([[doc.sha, 'Invoice 42']]) });
    const res = await submit(fake, doc.data, { metadata: { batch: '7' } });
    expect(res.status).toBe(202);
    const job = await body(res);
    expect(job).toMatchObject({
      id: expect.stringMatching(/^job_[0-9a-f]{24}$/),
      status: 'queued',
      extractor_id: 'ext_invoice',
      mime_type: 'application/pdf',
      file_size_bytes: doc.data.length,
      extracted_data: null,
      metadata: { batch: '7' },
    });
    const seen = await pollUntil(`${fake.url}/documents/${job.id}`, { headers: { Authorization: `Bearer ${fake.apiKey}` } }, (b) => b.status === 'completed');
    expect(seen.map((b) => b.status)).toEqual(['processing', 'completed']);
    expect(seen[1]).toMatchObject({ extracted_data: { text: 'Invoice 42', page_count: 1 }, error_details: null, cost_credits: 1 });
  });

  it('a configured failure fills error_details {code, message, suggestion}', async () => {
    const doc = pdf('blurred');
    const fake = await useFake('docextract', {
      failures: new Map([[doc.sha, { code: 'document_unreadable', message: 'too blurry' }]]),
      progress: { polls: 0 },
    });
    const { id } = await body(await submit(fake, doc.data));
    const job = await body(await fetch(`${fake.url}/documents/${id}`, { headers: { Authorization: `Bearer ${fake.apiKey}` } }));
    expect(job).toMatchObject({ status: 'failed', extracted_data: null, cost_credits: 0 });
    expect(job.error_details).toEqual({ code: 'document_unreadable', message: 'too blurry', suggestion: expect.any(String) });
  });

  it('refuses bad base64 (400 document_unreadable) and unsupported types (422)', async () => {
    const fake = await useFake('docextract');
    const bad = await submit(fake, 'not base64!');
    expect(bad.status).toBe(400);
    expect(((await body(bad)).error as { code: string }).code).toBe('document_unreadable');
    const type = await submit(fake, pdf('x').data, { mime_type: 'text/plain' });
    expect(type.status).toBe(422);
    expect(fake.jobs.size).toBe(0);
  });

  it('has no idempotency: the key is recorded, a resubmission is a second job, and the list finds both', async () => {
    const doc = pdf('twice');
    const fake = await useFake('docextract');
    const a = await body(await submit(fake, doc.data, {}, { 'Idempotency-Key': 'k' }));
    const b = await body(await submit(fake, doc.data, {}, { 'Idempotency-Key': 'k' }));
    expect(b.id).not.toBe(a.id);
    expect(fake.submissionsByContent.get(doc.sha)).toBe(2);
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual(['k', 'k']);
    expect(fake.jobs.get(a.id as string)?.idempotencyKey).toBe('k');
    const list = await body(await fetch(`${fake.url}/documents?extractor_id=ext_invoice&limit=10`, { headers: { Authorization: `Bearer ${fake.apiKey}` } }));
    expect((list.data as Array<{ id: string }>).map((j) => j.id)).toEqual([a.id, b.id]);
  });

  it('answers 429 with Retry-After, and X-RateLimit-* (Reset in Unix seconds) on responses', async () => {
    const fake = await useFake('docextract', { rateLimit: { rps: 1 } });
    const auth = { headers: { Authorization: `Bearer ${fake.apiKey}` } };
    const ok = await fetch(`${fake.url}/credits`, auth);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('1');
    const reset = Number(ok.headers.get('x-ratelimit-reset'));
    expect(Math.abs(reset - Date.now() / 1000)).toBeLessThan(5);
    const limited = await fetch(`${fake.url}/credits`, auth);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await body(limited)).error as { code: string }).code).toBe('rate_limit_exceeded');
  });

  it('an injected 503 answers service_unavailable, then the retry succeeds', async () => {
    const fake = await useFake('docextract', { inject: [{ match: (r) => r.method === 'POST', times: 1, fault: '503' }] });
    const failed = await submit(fake, pdf('x').data);
    expect(failed.status).toBe(503);
    expect(((await body(failed)).error as { code: string }).code).toBe('service_unavailable');
    expect((await submit(fake, pdf('x').data)).status).toBe(202);
    expect(fake.jobs.size).toBe(1);
  });
});
