import { describe, expect, it } from 'vitest';
import { parseDelivery } from '../../../src/results/payloads.js';

describe('parseDelivery: LeapOCR', () => {
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
});
