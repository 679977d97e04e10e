import { describe, expect, it } from 'vitest';
import { foldRows } from '../../src/manifest/fold.js';
import { ResumeIndex } from '../../src/manifest/resume-index.js';
import type { ManifestRow } from '../../src/manifest/types.js';

const sha = 'ab'.repeat(32);
const row = (fields: Partial<ManifestRow> & { job_id: string; status: ManifestRow['status'] }): ManifestRow => ({
  source: 'a.pdf',
  sha256: sha,
  target: 'ocrqueen',
  ts: '2026-01-01T00:00:00Z',
  ...fields,
});

describe('ResumeIndex', () => {
  it('finds a remote job by content, preferring the real job id over its intent', () => {
    const index = new ResumeIndex();
    index.update(row({ job_id: 'intent_k1', status: 'submitted', idempotency_key: 'k1' }));
    expect(index.jobForContent('ocrqueen', sha)).toBe('intent_k1');
    index.update(row({ job_id: 'job_42', status: 'submitted', idempotency_key: 'k1' }));
    expect(index.jobForContent('ocrqueen', sha)).toBe('job_42');
    index.update(row({ job_id: 'job_42', status: 'completed', text: 'hi' }));
    expect(index.get('job_42')).toMatchObject({ status: 'completed', idempotencyKey: 'k1' });
    expect(index.jobForContent('leapocr', sha)).toBeUndefined();
    expect([...index.visible()].map(([id]) => id)).toEqual(['job_42']);
  });

  it('keeps an unresolved intent visible as a submitted job', () => {
    const index = new ResumeIndex();
    index.update(row({ job_id: 'intent_k2', status: 'submitted', idempotency_key: 'k2' }));
    expect([...index.visible()]).toEqual([['intent_k2', expect.objectContaining({ status: 'submitted', idempotencyKey: 'k2' })]]);
  });

  it('the folded view drops resolved intents', async () => {
    const folded = await foldRows([
      row({ job_id: 'intent_k1', status: 'submitted', idempotency_key: 'k1' }),
      row({ job_id: 'intent_k2', status: 'submitted', idempotency_key: 'k2' }),
      row({ job_id: 'job_1', status: 'submitted', idempotency_key: 'k1' }),
      row({ job_id: 'job_1', status: 'completed', text: 't' }),
    ]);
    expect([...folded.keys()]).toEqual(['intent_k2', 'job_1']);
  });
});
