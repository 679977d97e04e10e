import { describe, expect, it } from 'vitest';
import { fold } from '../helpers/manifest.js';
import {
  docextractHeaders,
  hmacHex,
  leapocrHeaders,
  ocrqueenCompleted,
  ocrqueenFailed,
  ocrqueenHeaders,
  post,
  SECRETS,
  startHarness,
  submittedRow,
} from './webhook-helpers.js';

describe('webhook receiver: signatures (real HTTP)', () => {
  it('stores a correctly signed OCRQueen delivery with the job id unchanged and the manifest source and sha256', async () => {
    const h = await startHarness({ seed: [submittedRow('job_1', 'ocrqueen')] });
    const body = ocrqueenCompleted('job_1', 'hello world');
    const answer = await post(h.url + '/any/path', body, ocrqueenHeaders(body));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true, outcome: 'stored' });
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      job_id: 'job_1',
      status: 'completed',
      event_id: 'evt_job_1',
      target: 'ocrqueen',
      source: 'docs/job_1.pdf',
      sources: ['docs/job_1.pdf'],
      text: 'hello world',
      pages: 1,
    });
    // Not known to this listener (no sha256Of): left out, so that a plain merge keeps the submitted line's value.
    expect(rows[1]).not.toHaveProperty('sha256');
    expect(typeof rows[1].ts).toBe('string');
    expect(h.server.stats).toMatchObject({ deliveries: 1, stored: 1, rejected: 0 });
  });

  it('takes the sha256 from sha256Of and leaves source and sha256 out for a job the manifest does not know', async () => {
    const h = await startHarness({ sha256Of: (id) => (id === 'job_k' ? 'b'.repeat(64) : undefined), seed: [submittedRow('job_k', 'ocrqueen')] });
    for (const id of ['job_k', 'job_new']) {
      const body = ocrqueenCompleted(id, 't');
      expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(200);
    }
    const rows = await h.rows();
    expect(rows[1]).toMatchObject({ job_id: 'job_k', sha256: 'b'.repeat(64), source: 'docs/job_k.pdf' });
    expect(rows[2]).toMatchObject({ job_id: 'job_new', target: 'ocrqueen' });
    expect(rows[2]).not.toHaveProperty('sha256');
    expect(rows[2]).not.toHaveProperty('source');
  });

  it('keeps the provider error code of a failed delivery in error.code (OCRQueen known-answer vector)', async () => {
    // Vector from the OCRQueen contract: secret whsec_test over this exact body.
    const h = await startHarness({ secrets: { ocrqueen: 'whsec_test' } });
    const body =
      '{"data":{"error":{"code":"PDF_PASSWORD_PROTECTED","message":"locked"}},"event_id":"evt_1","event_type":"extraction.failed","job_id":"job_1","timestamp":"2026-05-14T12:00:08Z"}';
    const answer = await post(h.url, body, { 'ocrqueen-signature': 'sha256=cb32d4bd341ea27066120a9333fe1556c4e4ea26e238751f8dcbda532dc44614' });
    expect(answer.status).toBe(200);
    const [row] = await h.rows();
    expect(row).toMatchObject({ job_id: 'job_1', status: 'failed', event_id: 'evt_1', error: { code: 'PDF_PASSWORD_PROTECTED', category: 'provider' } });
    expect(row.error?.message).toContain('locked');
  });

  const body = ocrqueenCompleted('job_1', 'text');
  const good = hmacHex(SECRETS.ocrqueen, body);
  const badSignatures: Array<[string, Record<string, string>, string]> = [
    ['wrong secret', { 'ocrqueen-signature': `sha256=${hmacHex('whsec_other', body)}` }, body],
    ['63 hex characters', { 'ocrqueen-signature': `sha256=${good.slice(0, 63)}` }, body],
    ['8 hex characters', { 'ocrqueen-signature': good.slice(0, 8) }, body],
    ['an empty value', { 'ocrqueen-signature': '' }, body],
    ['sha256= alone', { 'ocrqueen-signature': 'sha256=' }, body],
    ['trailing zz', { 'ocrqueen-signature': `sha256=${good}zz` }, body],
    ['a 0x prefix', { 'ocrqueen-signature': `0x${good}` }, body],
    ['a valid prefix then garbage', { 'ocrqueen-signature': `${good.slice(0, 32)}${'g'.repeat(32)}` }, body],
    ['no signature header', {}, body],
    ['a doubled header (good, bad)', { 'ocrqueen-signature': `sha256=${good}, sha256=${'0'.repeat(64)}` }, body],
    ['a re-serialised body', { 'ocrqueen-signature': `sha256=${good}` }, JSON.stringify(JSON.parse(body), null, 2)],
    ['one flipped byte', { 'ocrqueen-signature': `sha256=${good}` }, body.replace('"text"', '"texT"')],
    ['the DocExtract secret in the OCRQueen header', { 'ocrqueen-signature': hmacHex(SECRETS.docextract, body) }, body],
  ];
  it.each(badSignatures)('answers 401 and stores nothing for %s', async (_name, headers, sent) => {
    const h = await startHarness({ provider: 'ocrqueen' });
    const answer = await post(h.url, sent, headers);
    expect(answer.status).toBe(401);
    expect(answer.body).not.toMatch(/at .*\.(ts|js)|Error/);
    expect(await h.rows()).toEqual([]);
    expect(h.server.stats).toMatchObject({ rejected: 1, stored: 0 });
  });

  it('checks each provider header only against that provider\'s secret (auto mode)', async () => {
    const h = await startHarness();
    const dx = JSON.stringify({ event: 'job.completed', data: { id: 'dx_1', status: 'completed', extracted_data: { total: 1 } } });
    // Signed with the OCRQueen secret, sent in DocExtract's header.
    expect((await post(h.url, dx, { 'x-docextract-signature': hmacHex(SECRETS.ocrqueen, dx) })).status).toBe(401);
    expect((await post(h.url, dx, docextractHeaders(dx))).status).toBe(200);
    expect((await h.rows()).map((r) => r.job_id)).toEqual(['dx_1']);
  });

  it('accepts a body with a BOM, CRLF and a non-UTF-8 byte when signed over its raw bytes', async () => {
    const h = await startHarness();
    const raw = Buffer.concat([Buffer.from('\uFEFF{"data":{"document":{"markdown":"caf'), Buffer.from([0xe9]), Buffer.from('"}},\r\n"event_type":"extraction.completed","job_id":"job_b"}')]);
    const answer = await post(h.url, raw, ocrqueenHeaders(raw));
    expect(answer.status).toBe(200);
    expect((await h.rows())[0]).toMatchObject({ job_id: 'job_b', status: 'completed' });
  });

  it('verifies LeapOCR over timestamp.body and records the completed job as processing until its result is fetched', async () => {
    const h = await startHarness();
    const body = JSON.stringify({ event_type: 'job.completed', event_id: 'e1', job_id: 'j1', status: 'completed', total_pages: 3 });
    expect((await post(h.url, body, leapocrHeaders(body))).status).toBe(200);
    const stale = leapocrHeaders(body);
    stale['x-webhook-timestamp'] = String(Number(stale['x-webhook-timestamp']) + 1);
    expect((await post(h.url, body.replace('e1', 'e2'), stale)).status).toBe(401);
    const [row] = await h.rows();
    // The webhook carries no text: one `completed` line, with the text, comes once the result is fetched.
    expect(row).toMatchObject({ job_id: 'j1', status: 'processing', pages: 3, event_id: 'e1', target: 'leapocr' });
    expect(row.result).toMatchObject({ job_id: 'j1' });
    expect(row.text).toBeUndefined();
    expect(row).not.toHaveProperty('needs_result');
  });

  it('answers 401 without a signature header when the body is not a known provider payload', async () => {
    const h = await startHarness();
    expect((await post(h.url, '{"hello":1}')).status).toBe(401);
    expect((await post(h.url, 'not json')).status).toBe(401);
  });

  it('answers 400 for a correctly signed body that is not JSON, or has no job id, and stores nothing', async () => {
    const h = await startHarness({ provider: 'ocrqueen' });
    for (const sent of ['{"job_id": ', '[]', '{"event_type":"extraction.completed","data":{"document":{}}}', '{"whatever":true}']) {
      const answer = await post(h.url, sent, ocrqueenHeaders(sent));
      expect(answer.status, sent).toBe(400);
    }
    expect(await h.rows()).toEqual([]);
  });
});

describe('webhook receiver: durable, exactly-once storage', () => {
  it('50 concurrent copies of one delivery: all 2xx, exactly one row, no torn line', async () => {
    const h = await startHarness({ seed: [submittedRow('job_c', 'ocrqueen')] });
    const body = ocrqueenCompleted('job_c', 'x'.repeat(20_000));
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(h.url, body, ocrqueenHeaders(body))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const rows = await h.rows(); // throws on a torn or interleaved line
    expect(rows.filter((r) => r.job_id === 'job_c' && r.status === 'completed')).toHaveLength(1);
    expect(h.server.stats).toMatchObject({ stored: 1, duplicates: 49 });
  });

  it('50 concurrent copies of a DocExtract delivery (no event id) also give one row', async () => {
    const h = await startHarness();
    const body = JSON.stringify({ event: 'job.failed', data: { id: 'dx_9', status: 'failed', error_details: { code: 'document_unreadable', message: 'blurry' } } });
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(h.url, body, docextractHeaders(body))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'failed', error: { code: 'document_unreadable' } });
  });

  it('a replay after restart (job already completed in the manifest) is answered 2xx and appends nothing', async () => {
    const done = { ...submittedRow('job_r', 'ocrqueen'), status: 'completed' as const, text: 'first' };
    const h = await startHarness({ seed: [done] });
    const body = ocrqueenCompleted('job_r', 'first');
    expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(200);
    expect(await h.rows()).toHaveLength(1);
    expect(h.server.stats.duplicates).toBe(1);
  });

  it('a second, different result for a finished job is kept as a conflict without replacing the first', async () => {
    const h = await startHarness({ seed: [submittedRow('job_x', 'ocrqueen')] });
    const first = ocrqueenCompleted('job_x', 'first text', 'evt_a');
    const second = ocrqueenFailed('job_x', 'OCR_LOW_CONFIDENCE', 'evt_b');
    const third = ocrqueenCompleted('job_x', 'other text', 'evt_c');
    expect((await post(h.url, first, ocrqueenHeaders(first))).status).toBe(200);
    expect((await post(h.url, second, ocrqueenHeaders(second))).status).toBe(200);
    expect((await post(h.url, second, ocrqueenHeaders(second))).status).toBe(200); // retried: not a second conflict
    expect((await post(h.url, third, ocrqueenHeaders(third))).status).toBe(200);
    const rows = await h.rows();
    expect(rows.filter((r) => r.conflict)).toHaveLength(2);
    const folded = fold(rows).get('job_x')!;
    expect(folded).toMatchObject({ status: 'completed', text: 'first text', event_id: 'evt_a' });
    expect(folded.error).toBeUndefined();
    expect(rows[2].conflict).toMatchObject({ status: 'failed', event_id: 'evt_b', error: { code: 'OCR_LOW_CONFIDENCE' } });
    expect(h.server.stats).toMatchObject({ stored: 1, conflicts: 2, duplicates: 1 });
  });

  it('a late "processing" delivery never moves a finished job back', async () => {
    const h = await startHarness();
    const done = ocrqueenCompleted('job_p', 'done');
    const late = JSON.stringify({ job_id: 'job_p', status: 'processing' });
    expect((await post(h.url, done, ocrqueenHeaders(done))).status).toBe(200);
    expect((await post(h.url, late, ocrqueenHeaders(late))).status).toBe(200);
    expect((await h.rows()).map((r) => r.status)).toEqual(['completed']);
  });

  it('an append that fails answers 500 (never 2xx), and the sender\'s retry is stored once the fault clears', async () => {
    const fs = await import('node:fs/promises');
    let failing = true;
    let file = '';
    const h = await startHarness({
      journalOptions: {
        writeHook: async (chunk) => {
          if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          await fs.appendFile(file, chunk);
        },
      },
    });
    file = h.manifest;
    const body = ocrqueenCompleted('job_w', 'text');
    const first = await post(h.url, body, ocrqueenHeaders(body));
    expect(first.status).toBe(500);
    expect(first.body).not.toContain('ENOSPC');
    expect(await h.rows()).toEqual([]);
    expect(h.server.stats.failed).toBe(1);
    failing = false;
    const retry = await post(h.url, body, ocrqueenHeaders(body));
    expect(retry.status).toBe(200);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ job_id: 'job_w', status: 'completed' });
  });

  it('reports store errors through onStoreError', async () => {
    const seen: string[] = [];
    const h = await startHarness({
      journalOptions: { writeHook: () => Promise.reject(Object.assign(new Error('i/o error'), { code: 'EIO' })) },
      onStoreError: (error, d) => seen.push(`${d.jobId}: ${error.message}`),
    });
    const body = ocrqueenCompleted('job_e', 'text');
    expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(500);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^job_e: .*EIO/);
  });
});

describe('webhook receiver: providers that sign nothing', () => {
  const qomplement = (jobId: string) => JSON.stringify({ job_id: jobId, data: { id: jobId, type: 'extract', status: 'completed', result: { fields: { total: 5 }, pages_processed: 2 } } });
  const processJob = (jobId: string) => JSON.stringify({ job_id: jobId, template_id: 't1', static_values: {}, result: { total: '5' } });

  it('with --require-header: a wrong or missing header is 401; the right one stores a known job', async () => {
    const h = await startHarness({ provider: 'process-job', requireHeader: { name: 'x-token', value: 's3cret' }, seed: [submittedRow('pj_1', 'process-job')] });
    expect((await post(h.url, processJob('pj_1'))).status).toBe(401);
    expect((await post(h.url, processJob('pj_1'), { 'x-token': 'wrong!' })).status).toBe(401);
    expect((await post(h.url, processJob('pj_1'), { 'x-token': 's3cret' })).status).toBe(200);
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ job_id: 'pj_1', status: 'completed', result: { total: '5' }, source: 'docs/pj_1.pdf' });
  });

  it('never stores a delivery for a job this manifest did not submit (a forged or replayed one)', async () => {
    const h = await startHarness({ provider: 'qomplement', seed: [submittedRow('q_known', 'qomplement')] });
    const unknown = await post(h.url, qomplement('q_unknown'));
    expect(unknown.status).toBe(202);
    expect(JSON.parse(unknown.body)).toMatchObject({ outcome: 'unmatched' });
    expect((await post(h.url, qomplement('q_known'))).status).toBe(200);
    const rows = await h.rows();
    expect(rows.map((r) => r.job_id)).toEqual(['q_known', 'q_known']);
    expect(rows[1]).toMatchObject({ status: 'completed', pages: 2, result: { fields: { total: 5 } } });
    expect(h.server.stats).toMatchObject({ unmatched: 1, stored: 1 });
  });

  it('in auto mode an unsigned body is refused unless --require-header is given and matches', async () => {
    const h = await startHarness({ seed: [submittedRow('q_1', 'qomplement')] });
    expect((await post(h.url, qomplement('q_1'))).status).toBe(401);
    const h2 = await startHarness({ requireHeader: { name: 'x-token', value: 'tok' }, seed: [submittedRow('q_1', 'qomplement')] });
    expect((await post(h2.url, qomplement('q_1'), { 'x-token': 'tok' })).status).toBe(200);
    expect(await h.rows()).toHaveLength(1);
    expect(await h2.rows()).toHaveLength(2);
  });

  it('an unmatchedStatus of 503 makes a sender that raced the submit come back', async () => {
    const h = await startHarness({ provider: 'qomplement', unmatchedStatus: 503 });
    expect((await post(h.url, qomplement('q_late'))).status).toBe(503);
  });
});

describe('webhook receiver: events and forwarding', () => {
  it('answers webhook.test and credit events 2xx, reports them, and writes no row', async () => {
    const events: string[] = [];
    const h = await startHarness({ onEvent: (e) => events.push(`${e.provider}:${e.type}`) });
    const test = JSON.stringify({ data: { endpoint_id: 'ep_1', message: 'hi' }, event_id: 'evt_t', event_type: 'webhook.test', timestamp: '2026-01-01T00:00:00Z' });
    const low = JSON.stringify({ event: 'credits.low_balance', data: { org_id: 'o', current_balance: 12, threshold: 50 } });
    const depleted = JSON.stringify({ event: 'credits.depleted', data: { org_id: 'o', jobs_queued: 3 } });
    expect((await post(h.url, test, ocrqueenHeaders(test))).status).toBe(200);
    expect((await post(h.url, low, docextractHeaders(low))).status).toBe(200);
    expect((await post(h.url, depleted, docextractHeaders(depleted))).status).toBe(200);
    expect(events).toEqual(['ocrqueen:webhook.test', 'docextract:credits.low_balance', 'docextract:credits.depleted']);
    expect(await h.rows()).toEqual([]);
    expect(h.server.stats.events).toBe(3);
  });

  it('relays the raw body and original headers to --forward-to after storing; a dead app does not fail the delivery', async () => {
    const http = await import('node:http');
    const received: Array<{ body: string; headers: Record<string, unknown> }> = [];
    const app = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}/hooks`;
    const forwards: unknown[] = [];
    let done!: () => void;
    const forwarded = new Promise<void>((r) => (done = r));
    const h = await startHarness({ forwardTo: appUrl, onForward: (r) => (forwards.push(r), done()) });
    const body = ocrqueenCompleted('job_f', 'text');
    expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(200);
    await forwarded;
    await new Promise<void>((r) => app.close(() => r()));
    expect(received).toHaveLength(1);
    expect(received[0].body).toBe(body);
    expect(received[0].headers['ocrqueen-signature']).toBe(ocrqueenHeaders(body)['ocrqueen-signature']);
    expect(forwards).toEqual([{ url: appUrl, status: 204 }]);

    const dead: unknown[] = [];
    let deadDone!: () => void;
    const deadForwarded = new Promise<void>((r) => (deadDone = r));
    const h2 = await startHarness({ forwardTo: appUrl, onForward: (r) => (dead.push(r), deadDone()) });
    expect((await post(h2.url, body, ocrqueenHeaders(body))).status).toBe(200);
    await deadForwarded;
    expect(dead[0]).toMatchObject({ url: appUrl, error: 'ECONNREFUSED' });
    expect(await h2.rows()).toHaveLength(1);
  });
});
