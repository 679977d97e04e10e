import { describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, parseDelivery } from '../../../src/results/payloads.js';

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
