import { describe, expect, it } from 'vitest';
import { parseDelivery } from '../../../src/results/payloads.js';

describe('parseDelivery: process-job', () => {
  it('process-job: success payload only; a failure status is tolerated', () => {
    expect(parseDelivery('process-job', { job_id: 'p1', template_id: 't', static_values: {}, result: { a: '1' } })).toMatchObject({ status: 'completed', result: { a: '1' } });
    expect(parseDelivery('process-job', { job_id: 'p1', status: 'PROCESS IMAGE FAILED' })).toMatchObject({ status: 'failed', error: { code: 'PROCESS_JOB_FAILED' } });
    expect(parseDelivery('process-job', { job_id: 'p1', template_id: 't' })).toBeNull();
  });
});
