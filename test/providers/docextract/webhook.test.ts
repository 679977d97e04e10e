import { describe, expect, it } from 'vitest';
import { parseDelivery } from '../../../src/results/payloads.js';

describe('parseDelivery: DocExtract', () => {
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
});
