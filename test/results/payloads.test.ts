import { describe, expect, it } from 'vitest';
import { detectProvider } from '../../src/results/payloads.js';

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
