import { describe, expect, it } from 'vitest';
import { signDocExtract, signLeapOcr, signLeapOcrR2, signOcrQueen, sortedJson, WEBHOOK_DEFAULT_SECRET } from './index.js';
import { form, pdf, useFake } from './test-helpers.js';
import { deliverJob, hmac, json, SUBMIT, useReceiver } from './webhook-test-helpers.js';

const SECRET = 'whsec_test_secret';

describe('known-answer vectors from the contracts', () => {
  it('OCRQueen: the sorted, compact envelope and its sha256= signature', () => {
    const envelope = {
      timestamp: '2026-05-14T12:00:08Z',
      job_id: 'job_1',
      event_type: 'extraction.failed',
      event_id: 'evt_1',
      data: { error: { message: 'locked', code: 'PDF_PASSWORD_PROTECTED' } },
    };
    const body = sortedJson(envelope);
    expect(body).toBe(
      '{"data":{"error":{"code":"PDF_PASSWORD_PROTECTED","message":"locked"}},"event_id":"evt_1","event_type":"extraction.failed","job_id":"job_1","timestamp":"2026-05-14T12:00:08Z"}',
    );
    expect(signOcrQueen('whsec_test', body)).toBe('sha256=cb32d4bd341ea27066120a9333fe1556c4e4ea26e238751f8dcbda532dc44614');
    expect(sortedJson({ b: [{ z: 1, '10': 2, '9': 3 }], a: undefined })).toBe('{"b":[{"10":2,"9":3,"z":1}]}');
  });

  it('LeapOCR: the SDK test vector and the computed ones, in both schemes', () => {
    const sdk = '{"event_type":"webhook.test","event_id":"evt_123","timestamp":"2024-01-01T00:00:00Z","message":"This is a test webhook event"}';
    expect(signLeapOcr('my-secret-key', sdk, '1704067200')).toBe('51033b9251a1db2003caf73152dc990d20c3efd8c97d176603de1dc034aa1bc1');
    expect(signLeapOcrR2('my-secret-key', sdk)).toBe('701e14803a378d78c9e7f72debd49019fbb1eee203c7a73510598422743ab0ac');
    const body = Buffer.from('{"event_type":"job.completed","event_id":"e1","job_id":"j1","status":"completed"}');
    expect(signLeapOcr('leap_secret', body, '1700000000')).toBe('106517cb93217f9559c648ac350b7e3fc9cca201783693c7e54a87c26cf62287');
    expect(signLeapOcrR2('leap_secret', body)).toBe('54151318a01502e24fa7acbb453927012385d6eea28e730984375c031520787f');
  });

  it('DocExtract: lowercase hex over the raw body', () => {
    const body = '{"event":"job.completed","data":{"id":"job_1","status":"completed"}}';
    expect(signDocExtract('dx_secret', body)).toBe('f91256a0d035aee2c23211558f0ee2a388ed27a53e127a308608a70c7f18789c');
  });
});

describe('OCRQueen webhooks', () => {
  it('completed: the signed envelope with the document goes to options.callback_url', async () => {
    const hook = await useReceiver();
    const doc = pdf('oq-done');
    const { fake, jobId } = await deliverJob('ocrqueen', hook.url, doc.data, {
      texts: new Map([[doc.sha, { pages: ['one', 'two'] }]]),
      webhooks: { secret: SECRET, url: 'http://127.0.0.1:9/never-used' },
    });
    expect(hook.received).toHaveLength(1);
    const [r] = hook.received;
    expect(r.path).toBe('/hooks/in');
    expect(r.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'OCRQueen-Webhooks/1.0',
      'ocrqueen-event': 'extraction.completed',
      'ocrqueen-attempt': '1',
      'ocrqueen-delivery-id': expect.stringMatching(/^d_[0-9a-f]+$/),
      'ocrqueen-signature': `sha256=${hmac(SECRET, r.body)}`,
    });
    const body = json(r);
    expect(r.body.toString()).toBe(sortedJson(body));
    expect(Object.keys(body)).toEqual(['data', 'event_id', 'event_type', 'job_id', 'timestamp']);
    expect(body).toMatchObject({ event_id: expect.stringMatching(/^evt_/), event_type: 'extraction.completed', job_id: jobId });
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.data).toMatchObject({ document: { markdown: 'one\n\ntwo', source: { file_hash: doc.sha, page_count: 2 } } });
    expect(fake.deliveries).toMatchObject([{ jobId, url: hook.url, attempt: 1, status: 200, event: 'extraction.completed' }]);
  });

  it('failed: extraction.failed with the error; no callback_url falls back to the dashboard URL', async () => {
    const hook = await useReceiver();
    const doc = pdf('oq-fail');
    const fake = await useFake('ocrqueen', {
      progress: { ms: 0 },
      failures: new Map([[doc.sha, { code: 'PDF_PASSWORD_PROTECTED', message: 'locked' }]]),
      webhooks: { url: hook.url },
    });
    const jobId = await SUBMIT.ocrqueen(fake, doc.data);
    await fake.webhooksIdle();
    const [r] = hook.received;
    expect(json(r)).toMatchObject({ event_type: 'extraction.failed', job_id: jobId, data: { error: { code: 'PDF_PASSWORD_PROTECTED', message: 'locked' } } });
    expect(r.headers['ocrqueen-signature']).toBe(`sha256=${hmac(WEBHOOK_DEFAULT_SECRET, r.body)}`);
  });

  it('sends nothing for a sync answer or without the webhooks option; webhook.test has no job_id', async () => {
    const hook = await useReceiver();
    const quiet = await useFake('ocrqueen', { progress: { ms: 0 } });
    await SUBMIT.ocrqueen(quiet, pdf('a').data, hook.url);
    await quiet.webhooksIdle();
    const fake = await useFake('ocrqueen', { webhooks: { url: hook.url, secret: SECRET } });
    const sync = await fetch(`${fake.url}/v1/extract`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.apiKey}` },
      body: form({ file: { data: pdf('b').data, type: 'application/pdf', name: 'b.pdf' }, sync: 'true' }),
    });
    expect(sync.status).toBe(200);
    await fake.webhooksIdle();
    expect(hook.received).toHaveLength(0);
    fake.sendEvent('webhook.test');
    await fake.webhooksIdle();
    const body = json(hook.received[0]);
    expect(body).toMatchObject({ event_type: 'webhook.test', data: { message: expect.any(String), endpoint_id: expect.any(String) } });
    expect(body).not.toHaveProperty('job_id');
    expect(hook.received[0].headers['ocrqueen-signature']).toBe(`sha256=${hmac(SECRET, hook.received[0].body)}`);
    expect(() => fake.sendEvent('credits.depleted')).toThrow(/no "credits.depleted" event/);
  });
});

describe('LeapOCR webhooks', () => {
  it('job.completed: flat payload, X-Webhook-Signature over "<timestamp>.<body>"', async () => {
    const hook = await useReceiver();
    const doc = pdf('leap');
    const { jobId } = await deliverJob('leapocr', hook.url, doc.data, { webhooks: { secret: SECRET } });
    const [r] = hook.received;
    const ts = r.headers['x-webhook-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(r.headers['x-webhook-signature']).toBe(hmac(SECRET, `${ts}.${r.body.toString()}`));
    expect(r.headers['user-agent']).toBe('LeapOCR-Webhook/1.0');
    expect(r.headers).not.toHaveProperty('x-r2-signature');
    const body = json(r);
    expect(body).toMatchObject({
      event_type: 'job.completed',
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      job_id: jobId,
      status: 'completed',
      file_name: 'a.pdf',
      file_size: doc.data.length,
      total_pages: 1,
      processed_pages: 1,
      success_pages: 1,
      credits_used: 1,
    });
    for (const k of ['timestamp', 'user_id', 'team_id', 'organization_id', 'created_at', 'completed_at', 'empty_pages', 'total_tokens']) {
      expect(body).toHaveProperty(k);
    }
    expect(body).not.toHaveProperty('error_message');
    expect(body).not.toHaveProperty('data');
  });

  it('job.failed carries error_message only; the r2 scheme signs the body in X-R2-Signature', async () => {
    const hook = await useReceiver();
    const doc = pdf('leap-fail');
    const failures = new Map([[doc.sha, { code: 'X', message: 'Document processing failed' }]]);
    await deliverJob('leapocr', hook.url, doc.data, { failures, webhooks: { secret: SECRET, leapocrScheme: 'r2' } });
    const [r] = hook.received;
    expect(r.headers['x-r2-signature']).toBe(hmac(SECRET, r.body));
    expect(r.headers).not.toHaveProperty('x-webhook-signature');
    const body = json(r);
    expect(body).toMatchObject({ event_type: 'job.failed', status: 'failed', error_message: 'Document processing failed' });
    expect(body).not.toHaveProperty('completed_at');
    expect(body).not.toHaveProperty('credits_used');
  });

  it('retries 408, 429 and 5xx but treats another 4xx as final', async () => {
    const codes = [408, 429, 503, 200];
    const hook = await useReceiver((n) => codes[n - 1]);
    const { fake } = await deliverJob('leapocr', hook.url, pdf('l1').data, { webhooks: { scheduleScale: 0.001 } });
    expect(fake.deliveries.map((d) => d.status)).toEqual(codes);
    const gone = await useReceiver(() => 410);
    const second = await deliverJob('leapocr', gone.url, pdf('l2').data, { webhooks: { scheduleScale: 0.001 } });
    expect(second.fake.deliveries.map((d) => d.status)).toEqual([410]);
    fake.setOptions({ webhooks: { url: hook.url } });
    fake.sendEvent('webhook.test');
    await fake.webhooksIdle();
    expect(json(hook.received.at(-1)!)).toMatchObject({ event_type: 'webhook.test', message: 'This is a test webhook event' });
  });
});

describe('DocExtract webhooks', () => {
  it('{event, data: job object} signed in X-DocExtract-Signature, to the dashboard URL', async () => {
    const hook = await useReceiver();
    const doc = pdf('dx');
    const { jobId } = await deliverJob('docextract', hook.url, doc.data, { webhooks: { secret: SECRET } });
    const [r] = hook.received;
    expect(r.headers['x-docextract-signature']).toBe(hmac(SECRET, r.body));
    expect(r.headers['content-type']).toBe('application/json');
    const body = json(r);
    expect(Object.keys(body)).toEqual(['event', 'data']);
    expect(body).toMatchObject({
      event: 'job.completed',
      data: {
        id: jobId,
        org_id: expect.any(String),
        extractor_id: 'ext_invoice',
        status: 'completed',
        extracted_data: { text: `text for ${doc.sha.slice(0, 12)}`, page_count: 1 },
        cost_credits: 1,
        metadata: { batch: 'b1' },
      },
    });
    for (const k of ['confidence', 'processing_time_ms', 'created_at', 'completed_at']) expect(body.data).toHaveProperty(k);
  });

  it('job.failed has error_details and failed_at; only 200 counts as delivered', async () => {
    const hook = await useReceiver((n) => (n === 1 ? 201 : 200));
    const doc = pdf('dx-fail');
    const failures = new Map([[doc.sha, { code: 'document_unreadable', message: 'unreadable' }]]);
    const { fake } = await deliverJob('docextract', hook.url, doc.data, { failures, webhooks: { scheduleScale: 0.0001 } });
    expect(fake.deliveries.map((d) => d.status)).toEqual([201, 200]);
    const body = json(hook.received[1]);
    expect(body).toMatchObject({ event: 'job.failed', data: { status: 'failed', cost_credits: 0, error_details: { code: 'document_unreadable' } } });
    expect(body.data).toHaveProperty('failed_at');
  });

  it('credit and test events, including POST /v1/webhooks/test', async () => {
    const hook = await useReceiver();
    const fake = await useFake('docextract', { webhooks: { url: hook.url, secret: SECRET } });
    fake.sendEvent('credits.low_balance', { data: { current_balance: 7 } });
    fake.sendEvent('credits.depleted');
    const res = await fetch(`${fake.url}/webhooks/test`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhook_url: `${hook.url}?via=api` }),
    });
    expect(res.status).toBe(200);
    await fake.webhooksIdle();
    const byEvent = Object.fromEntries(hook.received.map((r) => [json(r).event, r]));
    expect(json(byEvent['credits.low_balance']).data).toMatchObject({ org_id: 'org_fake', current_balance: 7, threshold: expect.any(Number) });
    expect(json(byEvent['credits.depleted']).data).toMatchObject({ depleted_at: expect.any(String), jobs_queued: 0 });
    expect(byEvent['webhook.test'].path).toBe('/hooks/in?via=api');
    expect(json(byEvent['webhook.test']).data).toMatchObject({ message: expect.any(String), timestamp: expect.any(String) });
    for (const r of hook.received) expect(r.headers['x-docextract-signature']).toBe(hmac(SECRET, r.body));
  });
});

describe('qomplement webhooks', () => {
  it('{job_id, data} to webhook_url, unsigned; a failure carries data.error', async () => {
    const hook = await useReceiver();
    const doc = pdf('q');
    const { jobId } = await deliverJob('qomplement', hook.url, doc.data, { webhooks: { secret: SECRET } });
    const [r] = hook.received;
    expect(Object.keys(r.headers).filter((h) => /signature|^x-/i.test(h))).toEqual([]);
    expect(json(r)).toEqual({
      job_id: jobId,
      data: {
        id: jobId,
        type: 'extract',
        status: 'completed',
        result: expect.objectContaining({ fields: { text: `text for ${doc.sha.slice(0, 12)}` }, tables: [], pages_processed: 1 }),
      },
    });
    const bad = pdf('q-fail');
    const failures = new Map([[bad.sha, { code: 'processing_error', message: 'boom' }]]);
    const failed = await deliverJob('qomplement', hook.url, bad.data, { failures, webhooks: {} });
    expect(json(hook.received[1])).toEqual({
      job_id: failed.jobId,
      data: { id: failed.jobId, type: 'extract', status: 'failed', error: { code: 'processing_error', message: 'boom' } },
    });
  });

  it('sends nothing without webhook_url, even with webhooks.url set', async () => {
    const hook = await useReceiver();
    const fake = await useFake('qomplement', { progress: { ms: 0 }, syncMaxPages: 0, webhooks: { url: hook.url } });
    await SUBMIT.qomplement(fake, pdf('q2').data);
    await fake.webhooksIdle();
    expect([...fake.jobs.values()][0].terminal).toBe(true);
    expect(hook.received).toHaveLength(0);
  });
});

describe('process-job webhooks', () => {
  it('{job_id, template_id, static_values, result} with the template headers; no failure webhook', async () => {
    const hook = await useReceiver();
    const doc = pdf('pj');
    const headers = { 'X-Template-Token': 'tok-1' };
    const { jobId, fake } = await deliverJob('process-job', hook.url, doc.data, { webhooks: { headers } });
    expect(hook.received[0].headers['x-template-token']).toBe('tok-1');
    expect(json(hook.received[0])).toEqual({
      job_id: jobId,
      template_id: 'tpl-1',
      static_values: { batch: 'b1' },
      result: { text: `text for ${doc.sha.slice(0, 12)}` },
    });
    const bad = pdf('pj-fail');
    fake.setOptions({ failures: new Map([[bad.sha, { code: 'PROCESS IMAGE FAILED', message: 'x' }]]) });
    await SUBMIT['process-job'](fake, bad.data);
    await fake.webhooksIdle();
    expect([...fake.jobs.values()].map((j) => j.status)).toEqual(['SUCCESS', 'PROCESS IMAGE FAILED']);
    expect(hook.received).toHaveLength(1);
    expect(() => fake.sendEvent('webhook.test')).toThrow();
  });
});
