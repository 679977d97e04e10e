import { describe, expect, it } from 'vitest';
import { parseDelivery } from '../../../src/results/payloads.js';

describe('parseDelivery: qomplement', () => {
  it('qomplement: text from result.markdown when present, pages_processed, error codes', () => {
    const done = { job_id: 'q1', data: { id: 'q1', type: 'extract', status: 'completed', result: { fields: {}, pages_processed: 2, markdown: 'md' } } };
    expect(parseDelivery('qomplement', done)).toMatchObject({ jobId: 'q1', status: 'completed', text: 'md', pages: 2, result: done.data.result });
    expect(parseDelivery('qomplement', { job_id: 'q2', data: { id: 'q2', status: 'failed', error: { code: 'processing_error', message: 'm' } } })).toMatchObject({
      status: 'failed',
      error: { code: 'processing_error' },
    });
    expect(parseDelivery('qomplement', { job_id: 'q3' })).toBeNull();
  });
});
