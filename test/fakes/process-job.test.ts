import { describe, expect, it } from 'vitest';
import { body, form, pdf, pollUntil, useFake } from './test-helpers.js';

type Fake = Awaited<ReturnType<typeof useFake<'process-job'>>>;
const TEMPLATE = '0b7e7a52-3f1c-4a8e-9d61-5c2f0a1b2c3d';

function submitJson(fake: Fake, data: Buffer, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}/process-job`, {
    method: 'POST',
    headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ template_id: TEMPLATE, actual_image: data.toString('base64'), ...extra }),
  });
}
const results = (fake: Fake, jobId: unknown, format = 'json') =>
  fetch(`${fake.url}/job-results`, {
    method: 'POST',
    headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ job_id: jobId, result_format: format }),
  });
const statusUrl = (fake: Fake, id: unknown) => `${fake.url}/job-status?job_id=${id}`;

describe('process-job (DocuProx) fake', () => {
  it('answers a missing or wrong x-auth with 401 {error, message}', async () => {
    const fake = await useFake('process-job');
    expect(fake.url).toBe(`${fake.origin}/v1`);
    const tries: Record<string, string>[] = [{}, { 'x-auth': 'wrong' }, { Authorization: `Bearer ${fake.apiKey}` }];
    for (const headers of tries) {
      const res = await fetch(`${fake.url}/job-status?job_id=x`, { headers });
      expect(res.status).toBe(401);
      expect(await body(res)).toEqual({ error: 'Unauthorized', message: expect.any(String) });
    }
    expect(fake.requests).toHaveLength(3);
  });

  it('JSON submit → job-status NEW … SUCCESS → job-results with the text of a known document', async () => {
    const doc = pdf('form');
    const fake = await useFake('process-job', { texts: new Map([[doc.sha, 'Name: Ada']]), progress: { polls: 2 } });
    const res = await submitJson(fake, doc.data, { static_values: { batch: 'b1' } });
    expect(res.status).toBe(202);
    const accepted = await body(res);
    expect(accepted).toEqual({ job_id: expect.any(String), template_id: TEMPLATE, static_values: { batch: 'b1' } });
    const seen = await pollUntil(statusUrl(fake, accepted.job_id), { headers: { 'x-auth': fake.apiKey } }, (b) => b.status === 'SUCCESS');
    expect(seen.map((b) => b.status)).toEqual(['NEW', 'PROCESSING IMAGE', 'SUCCESS']);
    expect(seen[2]).toEqual({ job_id: accepted.job_id, template_id: TEMPLATE, status: 'SUCCESS' });
    const json = await body(await results(fake, accepted.job_id));
    expect(json).toMatchObject({ job_id: accepted.job_id, static_values: { batch: 'b1' }, result: { text: 'Name: Ada' } });
    const csv = await body(await results(fake, accepted.job_id, 'csv'));
    expect(csv.result).toBe('text\r\n"Name: Ada"\r\n');
  });

  it('accepts multipart (actual_image part) and the binary PUT variant', async () => {
    const fake = await useFake('process-job');
    const multipart = await fetch(`${fake.url}/process-job`, {
      method: 'POST',
      headers: { 'x-auth': fake.apiKey },
      body: form({ template_id: TEMPLATE, static_values: '{"k":"v"}', actual_image: { data: pdf('m').data, type: 'application/pdf', name: 'm.pdf' } }),
    });
    expect(multipart.status).toBe(202);
    expect((await body(multipart)).static_values).toEqual({ k: 'v' });
    const put = await fetch(`${fake.url}/process-job?t_id=${TEMPLATE}`, {
      method: 'PUT',
      headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/octet-stream' },
      body: pdf('p').data,
    });
    expect(put.status).toBe(202);
    const wrongType = await fetch(`${fake.url}/process-job?t_id=${TEMPLATE}`, {
      method: 'PUT',
      headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/pdf' },
      body: pdf('p').data,
    });
    expect(wrongType.status).toBe(415);
    expect([...fake.submissionsByContent.keys()]).toEqual([pdf('m').sha, pdf('p').sha]);
  });

  it('a configured failure shows its failure status; job-results refuses unfinished and failed jobs', async () => {
    const doc = pdf('smudged');
    const fake = await useFake('process-job', {
      failures: new Map([[doc.sha, { code: 'PROCESS IMAGE FAILED', message: 'unreadable' }]]),
      progress: { polls: 1 },
    });
    const { job_id: id } = await body(await submitJson(fake, doc.data));
    const early = await results(fake, id);
    expect(early.status).toBe(400);
    const status = await body(await fetch(statusUrl(fake, id), { headers: { 'x-auth': fake.apiKey } }));
    expect(status.status).toBe('PROCESS IMAGE FAILED');
    const late = await results(fake, id);
    expect(late.status).toBe(400);
    expect(await body(late)).toEqual({ error: 'PROCESS IMAGE FAILED', message: 'unreadable' });
  });

  it('has no idempotency: the key is recorded and a resubmission is a second job', async () => {
    const doc = pdf('twice');
    const fake = await useFake('process-job');
    const a = await body(await submitJson(fake, doc.data, {}, { 'Idempotency-Key': 'k' }));
    const b = await body(await submitJson(fake, doc.data, {}, { 'Idempotency-Key': 'k' }));
    expect(b.job_id).not.toBe(a.job_id);
    expect(fake.submissionsByContent.get(doc.sha)).toBe(2);
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual(['k', 'k']);
  });

  it('answers 429 with Retry-After and {error, message}', async () => {
    const fake = await useFake('process-job', { rateLimit: { rps: 2 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await fetch(`${fake.url}/job-status?job_id=nope`, { headers: { 'x-auth': fake.apiKey } }));
    expect(codes.map((r) => r.status)).toEqual([404, 404, 429]);
    expect(codes[2].headers.get('retry-after')).toBe('1');
    expect(await body(codes[2])).toEqual({ error: 'Too Many Requests', message: expect.any(String) });
  });

  it('an injected 503 then success', async () => {
    const fake = await useFake('process-job', { inject: [{ match: (r) => r.method === 'POST', times: 1, fault: '503' }] });
    const failed = await submitJson(fake, pdf('x').data);
    expect(failed.status).toBe(503);
    expect(await body(failed)).toEqual({ error: 'Service Unavailable', message: expect.any(String) });
    expect((await submitJson(fake, pdf('x').data)).status).toBe(202);
    expect(fake.jobs.size).toBe(1);
  });
});
