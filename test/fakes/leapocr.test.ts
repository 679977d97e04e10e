import { describe, expect, it } from 'vitest';
import { body, pdf, pollUntil, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'leapocr'>>>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function api(fake: Fake, path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  return fetch(`${fake.url}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: { 'X-API-KEY': fake.apiKey, ...(init.json !== undefined && { 'Content-Type': 'application/json' }), ...init.headers },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

/** The SDK's 3 steps: initiate, PUT each part (by the server's byte ranges), complete. */
async function upload(fake: Fake, data: Buffer, headers: Record<string, string> = {}) {
  const init = await body(
    await api(fake, '/ocr/uploads/direct', {
      json: { file_name: 'a.pdf', file_size: data.length, content_type: 'application/pdf', format: 'markdown', model: 'standard-v2' },
      headers,
    }),
  );
  const parts = init.parts as Array<{ part_number: number; upload_url: string; start_byte: number; end_byte: number }>;
  const etags: Array<{ part_number: number; etag: string }> = [];
  for (const p of parts) {
    const put = await fetch(p.upload_url, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data.subarray(p.start_byte, p.end_byte + 1),
    });
    expect(put.status).toBe(200);
    etags.push({ part_number: p.part_number, etag: put.headers.get('etag')!.replace(/"/g, '') });
  }
  return { init, etags, complete: () => api(fake, `/ocr/uploads/${init.job_id}/complete`, { json: { parts: etags } }) };
}

describe('LeapOCR fake', () => {
  it('answers a missing or wrong X-API-KEY (and a Bearer header) with 401 AUTHENTICATION_ERROR', async () => {
    const fake = await useFake('leapocr', {});
    expect(fake.url).toBe(`${fake.origin}/api/v1`);
    const answers = [
      await fetch(`${fake.url}/ocr/status/x`),
      await fetch(`${fake.url}/ocr/status/x`, { headers: { 'X-API-KEY': 'wrong' } }),
      await fetch(`${fake.url}/ocr/status/x`, { headers: { Authorization: `Bearer ${fake.apiKey}` } }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(await body(res)).toEqual({ code: 'AUTHENTICATION_ERROR', error: { message: expect.any(String) } });
    }
    expect(fake.requests).toHaveLength(3);
  });

  it('3-step upload → status → paginated result, with the text of a known document', async () => {
    const doc = pdf('three pages');
    const fake = await useFake('leapocr', { partSizeBytes: 20, texts: new Map([[doc.sha, { pages: ['p1', 'p2', 'p3'] }]]) });
    const { init, complete } = await upload(fake, doc.data);
    expect(init).toMatchObject({ job_id: expect.stringMatching(UUID), upload_type: 'multipart' });
    expect(init.total_chunks).toBe(Math.ceil(doc.data.length / 20));
    // Before /complete the job is pending and has no content yet.
    expect((await body(await api(fake, `/ocr/status/${init.job_id}`))).status).toBe('pending');
    expect((await api(fake, `/ocr/result/${init.job_id}`)).status).toBe(202);
    expect(fake.jobs.size).toBe(0);

    const done = await complete();
    expect(done.status).toBe(200);
    expect(await body(done)).toMatchObject({ job_id: init.job_id, status: 'pending' });
    const seen = await pollUntil(`${fake.url}/ocr/status/${init.job_id}`, { headers: { 'X-API-KEY': fake.apiKey } }, (b) => b.status === 'completed');
    expect(seen.map((b) => b.status)).toEqual(['processing', 'completed']);
    expect(seen[1]).toMatchObject({ id: init.job_id, total_pages: 3, processed_pages: 3, result_format: 'markdown' });

    const first = await body(await api(fake, `/ocr/result/${init.job_id}?page=1&limit=2`));
    expect((first.pages as Array<{ result: string }>).map((p) => p.result)).toEqual(['p1', 'p2']);
    expect(first.pagination).toEqual({ page: 1, limit: 2, total: 3, total_pages: 2 });
    const second = await body(await api(fake, `/ocr/result/${init.job_id}?page=2&limit=2`));
    expect((second.pages as Array<{ page_number: number; result: string }>).map((p) => [p.page_number, p.result])).toEqual([[3, 'p3']]);
    expect(fake.submissionsByContent.get(doc.sha)).toBe(1);
    // Presigned PUTs carry no API key and are recorded like any request.
    expect(fake.requests.filter((r) => r.method === 'PUT').every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
  });

  it('a configured failure shows only a free-text error_message', async () => {
    const doc = pdf('bad');
    const fake = await useFake('leapocr', {
      failures: new Map([[doc.sha, { code: 'IGNORED', message: 'Document processing failed' }]]),
      progress: { polls: 0 },
    });
    const { init, complete } = await upload(fake, doc.data);
    await complete();
    const status = await body(await api(fake, `/ocr/status/${init.job_id}`));
    expect(status).toMatchObject({ status: 'failed', error_message: 'Document processing failed' });
    const result = await api(fake, `/ocr/result/${init.job_id}`);
    expect(result.status).toBe(200);
    const b = await body(result);
    expect(b).toMatchObject({ status: 'failed', error_message: 'Document processing failed' });
    expect(b.pages).toBeUndefined();
  });

  it('checks signatures, ETags and options; a repeated /complete returns the same job', async () => {
    const doc = pdf('idem');
    const fake = await useFake('leapocr');
    const noFormat = await api(fake, '/ocr/uploads/direct', { json: { file_name: 'a.pdf', file_size: 3, content_type: 'application/pdf' } });
    expect(noFormat.status).toBe(400);
    expect((await body(noFormat)).code).toBe('VALIDATION_ERROR');
    const { init, etags, complete } = await upload(fake, doc.data, { 'Idempotency-Key': 'k' });
    const url = (init.parts as Array<{ upload_url: string }>)[0].upload_url;
    expect((await fetch(url.replace(/Signature=\w+/, 'Signature=forged'), { method: 'PUT', body: 'x' })).status).toBe(403);
    const wrongEtag = await api(fake, `/ocr/uploads/${init.job_id}/complete`, { json: { parts: [{ ...etags[0], etag: 'nope' }] } });
    expect(wrongEtag.status).toBe(400);
    const a = await body(await complete());
    const b = await body(await complete());
    expect(b).toEqual(a);
    expect(fake.jobs.size).toBe(1);
    expect(fake.submissionsByContent.get(doc.sha)).toBe(1);
    expect(fake.jobs.get(init.job_id as string)?.idempotencyKey).toBe('k');
  });

  it('answers 429 TOO_MANY_REQUESTS with Retry-After; presigned PUTs are outside the limit', async () => {
    const doc = pdf('rate');
    const fake = await useFake('leapocr', { rateLimit: { rps: 1 } });
    const { complete } = await upload(fake, doc.data);
    const limited = await complete();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await body(limited)).toEqual({ code: 'TOO_MANY_REQUESTS', error: { message: expect.any(String) } });
    expect(fake.requests.map((r) => [r.method, r.status])).toEqual([
      ['POST', 200],
      ['PUT', 200],
      ['POST', 429],
    ]);
  });

  it('an injected 503 on status answers SYSTEM_ERROR, then the retry succeeds; delete → 204 then 404', async () => {
    const fake = await useFake('leapocr', { inject: [{ match: (r) => r.path.includes('/ocr/status/'), times: 1, fault: '503' }] });
    const created = await body(await api(fake, '/ocr/uploads/url', { json: { url: 'https://files.example/a.pdf', format: 'markdown', model: 'pro-v2' } }));
    expect(created).toMatchObject({ job_id: expect.stringMatching(UUID), status: 'pending', source_url: 'https://files.example/a.pdf' });
    const failed = await api(fake, `/ocr/status/${created.job_id}`);
    expect(failed.status).toBe(503);
    expect((await body(failed)).code).toBe('SYSTEM_ERROR');
    expect((await api(fake, `/ocr/status/${created.job_id}`)).status).toBe(200);
    expect((await api(fake, `/ocr/delete/${created.job_id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(fake, `/ocr/status/${created.job_id}`)).status).toBe(404);
  });
});
