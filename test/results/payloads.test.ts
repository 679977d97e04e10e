import { describe, expect, it } from 'vitest';
import { detectProvider, MAX_ID_LENGTH, parseDelivery } from '../../src/results/payloads.js';

describe('parseDelivery: OCRQueen', () => {
  it('reads the envelope: completed with markdown and page count, failed with the provider code', () => {
    const completed = {
      data: { document: { markdown: '# Invoice', source: { page_count: 3 } } },
      event_id: 'evt_1',
      event_type: 'extraction.completed',
      job_id: 'job_1',
      timestamp: '2026-05-14T12:00:08Z',
    };
    expect(parseDelivery('ocrqueen', completed)).toEqual({
      kind: 'job',
      provider: 'ocrqueen',
      jobId: 'job_1',
      eventId: 'evt_1',
      status: 'completed',
      text: '# Invoice',
      pages: 3,
      result: completed.data.document,
    });
    const failed = { data: { error: { code: 'PDF_PASSWORD_PROTECTED', message: 'locked' } }, event_id: 'evt_2', event_type: 'extraction.failed', job_id: 'job_1' };
    expect(parseDelivery('ocrqueen', failed)).toMatchObject({ status: 'failed', error: { code: 'PDF_PASSWORD_PROTECTED', message: 'locked' } });
  });

  it('also accepts the job-object shape, taking the delivery id header as event id', () => {
    const job = { job_id: 'job_2', status: 'completed', markdown: 'text', document: { markdown: 'text' } };
    expect(parseDelivery('ocrqueen', job, { 'ocrqueen-delivery-id': 'd_9' })).toMatchObject({ jobId: 'job_2', eventId: 'd_9', status: 'completed', text: 'text' });
    expect(parseDelivery('ocrqueen', { job_id: 'j', status: 'failed', error: { code: 'OCR_LOW_CONFIDENCE', message: 'm' } })).toMatchObject({
      status: 'failed',
      error: { code: 'OCR_LOW_CONFIDENCE' },
    });
    expect(parseDelivery('ocrqueen', { job_id: 'j', status: 'cancelled' })).toMatchObject({ status: 'failed', error: { code: 'JOB_CANCELLED' } });
    expect(parseDelivery('ocrqueen', { job_id: 'j', status: 'processing' })).toMatchObject({ status: 'processing' });
  });

  it('webhook.test is an event; a job event without its job id, or no shape at all, is null', () => {
    expect(parseDelivery('ocrqueen', { event_id: 'e', event_type: 'webhook.test', data: { message: 'hi', endpoint_id: 'ep' } })).toEqual({
      kind: 'event',
      provider: 'ocrqueen',
      type: 'webhook.test',
      eventId: 'e',
      data: { message: 'hi', endpoint_id: 'ep' },
    });
    expect(parseDelivery('ocrqueen', { event_type: 'extraction.completed', data: { document: {} } })).toBeNull();
    expect(parseDelivery('ocrqueen', { hello: 'world' })).toBeNull();
    for (const notObject of [null, 1, 'x', [], true]) expect(parseDelivery('ocrqueen', notObject)).toBeNull();
  });

  it('refuses ids that are empty, not strings, or over the length cap', () => {
    for (const jobId of ['', '   ', {}, ['a'], 'x'.repeat(MAX_ID_LENGTH + 1), 1.5]) {
      expect(parseDelivery('ocrqueen', { job_id: jobId, status: 'completed' }), JSON.stringify(jobId)).toBeNull();
    }
    expect(parseDelivery('ocrqueen', { job_id: 42, status: 'completed' })).toMatchObject({ jobId: '42' });
  });

  it('does not read inherited properties of a hostile payload', () => {
    const json = JSON.parse('{"job_id":"j","status":"completed","document":{"__proto__":{"markdown":"evil"}}}');
    expect(parseDelivery('ocrqueen', json)).not.toHaveProperty('text');
  });
});

describe('parseDelivery: the other providers', () => {
  it('LeapOCR: flat payload, no text: completed needs its result fetched; failed keeps error_message', () => {
    const completed = { event_type: 'job.completed', event_id: 'e1', job_id: 'j1', status: 'completed', total_pages: 4, credits_used: 4 };
    expect(parseDelivery('leapocr', completed)).toEqual({
      kind: 'job',
      provider: 'leapocr',
      jobId: 'j1',
      eventId: 'e1',
      status: 'completed',
      pages: 4,
      result: completed,
      needsResult: true,
    });
    expect(parseDelivery('leapocr', { event_type: 'job.failed', event_id: 'e2', job_id: 'j1', status: 'failed', error_message: 'Document processing failed' })).toMatchObject({
      status: 'failed',
      error: { code: 'LEAPOCR_JOB_FAILED', message: 'Document processing failed' },
    });
    expect(parseDelivery('leapocr', { event_type: 'job.started', event_id: 'e3', job_id: 'j1' })).toMatchObject({ status: 'processing' });
    expect(parseDelivery('leapocr', { event_type: 'job.completed', event_id: 'e4', job_id: 'j1', status: 'partially_done', processed_pages: 2, total_pages: 5 })).toMatchObject({
      status: 'completed',
      pages: 2,
    });
    expect(parseDelivery('leapocr', { event_type: 'webhook.test', event_id: 'evt_123', message: 'This is a test webhook event' })).toMatchObject({ kind: 'event', type: 'webhook.test' });
    expect(parseDelivery('leapocr', { event_type: 'job.completed', status: 'completed' })).toBeNull();
  });

  it('DocExtract: fields-only results, error_details with suggestion, and credit events', () => {
    const data = { id: 'job_1', status: 'completed', extracted_data: { total: 12 }, confidence: 0.9 };
    expect(parseDelivery('docextract', { event: 'job.completed', data })).toEqual({
      kind: 'job',
      provider: 'docextract',
      jobId: 'job_1',
      eventId: null,
      status: 'completed',
      result: data,
    });
    expect(
      parseDelivery('docextract', { event: 'job.failed', data: { id: 'job_2', status: 'failed', error_details: { code: 'document_unreadable', message: 'blurry', suggestion: 'rescan' } } }),
    ).toMatchObject({ status: 'failed', error: { code: 'document_unreadable', message: 'blurry (rescan)' } });
    expect(parseDelivery('docextract', { event: 'credits.low_balance', data: { org_id: 'o', current_balance: 5 } })).toMatchObject({ kind: 'event', type: 'credits.low_balance' });
    expect(parseDelivery('docextract', { event: 'credits.depleted', data: { org_id: 'o' } })).toMatchObject({ kind: 'event', type: 'credits.depleted' });
    expect(parseDelivery('docextract', { event: 'webhook.test', data: { message: 'm' } })).toMatchObject({ kind: 'event' });
    expect(parseDelivery('docextract', { event: 'job.completed', data: { status: 'completed' } })).toBeNull();
    expect(parseDelivery('docextract', { event: 'job.completed' })).toBeNull();
  });

  it('qomplement: text from result.markdown when present, pages_processed, error codes', () => {
    const done = { job_id: 'q1', data: { id: 'q1', type: 'extract', status: 'completed', result: { fields: {}, pages_processed: 2, markdown: 'md' } } };
    expect(parseDelivery('qomplement', done)).toMatchObject({ jobId: 'q1', status: 'completed', text: 'md', pages: 2, result: done.data.result });
    expect(parseDelivery('qomplement', { job_id: 'q2', data: { id: 'q2', status: 'failed', error: { code: 'processing_error', message: 'm' } } })).toMatchObject({
      status: 'failed',
      error: { code: 'processing_error' },
    });
    expect(parseDelivery('qomplement', { job_id: 'q3' })).toBeNull();
  });

  it('process-job: success payload only; a failure status is tolerated', () => {
    expect(parseDelivery('process-job', { job_id: 'p1', template_id: 't', static_values: {}, result: { a: '1' } })).toMatchObject({ status: 'completed', result: { a: '1' } });
    expect(parseDelivery('process-job', { job_id: 'p1', status: 'PROCESS IMAGE FAILED' })).toMatchObject({ status: 'failed', error: { code: 'PROCESS_JOB_FAILED' } });
    expect(parseDelivery('process-job', { job_id: 'p1', template_id: 't' })).toBeNull();
  });
});

describe('detectProvider', () => {
  it('goes by the signature header first', () => {
    expect(detectProvider({ event: 'job.completed', data: {} }, { 'ocrqueen-signature': 'x' })).toBe('ocrqueen');
    expect(detectProvider({}, { 'x-docextract-signature': 'x' })).toBe('docextract');
    expect(detectProvider({}, { 'x-webhook-signature': 'x', 'x-webhook-timestamp': '1' })).toBe('leapocr');
  });

  it('then by shape', () => {
    expect(detectProvider({ event: 'job.completed', data: { id: 'a' } }, {})).toBe('docextract');
    expect(detectProvider({ event_type: 'extraction.completed', job_id: 'a', data: {} }, {})).toBe('ocrqueen');
    expect(detectProvider({ event_type: 'webhook.test', data: { message: 'x' } }, {})).toBe('ocrqueen');
    expect(detectProvider({ event_type: 'job.completed', job_id: 'a', status: 'completed' }, {})).toBe('leapocr');
    expect(detectProvider({ job_id: 'a', data: { id: 'a', status: 'completed' } }, {})).toBe('qomplement');
    expect(detectProvider({ job_id: 'a', template_id: 't', result: {} }, {})).toBe('process-job');
    expect(detectProvider({ job_id: 'a', status: 'completed' }, {})).toBe('ocrqueen');
    expect(detectProvider({ hello: 1 }, {})).toBeNull();
    expect(detectProvider('text', {})).toBeNull();
  });
});
