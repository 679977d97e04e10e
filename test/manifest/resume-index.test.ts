import { describe, expect, it } from 'vitest';
import { foldRows } from '../../src/manifest/fold.js';
import { ERROR_MESSAGE_CHARS, ResumeIndex } from '../../src/manifest/resume-index.js';
import type { ManifestRow } from '../../src/manifest/types.js';

const sha = 'ab'.repeat(32);
const row = (fields: Partial<ManifestRow> & { job_id: string; status: ManifestRow['status'] }): ManifestRow => ({
  source: 'a.pdf',
  sha256: sha,
  target: 'ocrqueen',
  ts: '2026-01-01T00:00:00Z',
  ...fields,
});

/** What a remote submit journals: intent, the provider's job, the intent superseded by it. */
const submitted = (key: string, jobId: string) => [
  row({ job_id: 'intent_x', status: 'submitted', idempotency_key: key, superseded_by: null }),
  row({ job_id: jobId, status: 'submitted', idempotency_key: key }),
  row({ job_id: 'intent_x', status: 'submitted', superseded_by: jobId }),
];

describe('ResumeIndex', () => {
  it('counts the unfinished attempts of a local document until a result or a clean stop ends them', () => {
    const index = new ResumeIndex();
    const local = (fields: Partial<ManifestRow> & { status: ManifestRow['status'] }) => row({ job_id: 'local_1', target: 'local', ...fields });
    index.update(local({ status: 'processing', unfinished_attempts: 1 }));
    expect(index.get('local_1')).toMatchObject({ status: 'processing', unfinishedAttempts: 1 });
    index.update(local({ status: 'processing', unfinished_attempts: 2 }));
    expect(index.get('local_1')?.unfinishedAttempts).toBe(2);
    index.update(local({ status: 'processing', unfinished_attempts: 1 }));
    expect(index.get('local_1')?.unfinishedAttempts).toBe(1);
    index.update(local({ status: 'failed', error: { code: 'CRASHED_REPEATEDLY', message: 'x', category: 'engine' } }));
    expect(index.get('local_1')).not.toHaveProperty('unfinishedAttempts');
    // A processing line without the field (a provider's status) says nothing about attempts.
    index.update(local({ status: 'processing' }));
    expect(index.get('local_1')).not.toHaveProperty('unfinishedAttempts');
  });

  it('finds a remote job by content: the intent until the provider id is recorded, then the job', () => {
    const index = new ResumeIndex();
    const [intent, job, resolved] = submitted('k1', 'job_42');
    index.update(intent);
    expect(index.jobForContent('ocrqueen', sha)).toBe('intent_x');
    expect([...index.visible()].map(([id]) => id)).toEqual(['intent_x']);
    index.update(job);
    index.update(resolved);
    expect(index.jobForContent('ocrqueen', sha)).toBe('job_42');
    index.update(row({ job_id: 'job_42', status: 'completed', text: 'hi' }));
    expect(index.get('job_42')).toMatchObject({ status: 'completed', idempotencyKey: 'k1' });
    expect(index.jobForContent('leapocr', sha)).toBeUndefined();
    expect([...index.visible()].map(([id]) => id)).toEqual(['job_42']);
  });

  it('a retried failure: the new job holds the content, the old one is hidden', () => {
    const index = new ResumeIndex();
    for (const r of submitted('k1', 'job_1')) index.update(r);
    index.update(row({ job_id: 'job_1', status: 'failed', error: { code: 'X', message: 'm', category: 'provider' } }));
    for (const r of submitted('k2', 'job_2')) index.update(r);
    index.update(row({ job_id: 'job_1', status: 'failed', superseded_by: 'job_2' }));
    expect(index.jobForContent('ocrqueen', sha)).toBe('job_2');
    expect([...index.visible()].map(([id]) => id)).toEqual(['job_2']);
  });

  it('the folded view leaves superseded jobs out and keeps an unresolved intent', async () => {
    const folded = await foldRows([
      ...submitted('k1', 'job_1'),
      row({ job_id: 'job_1', status: 'completed', text: 't' }),
      row({ job_id: 'intent_y', sha256: 'cd'.repeat(32), status: 'submitted', idempotency_key: 'k9', superseded_by: null }),
    ]);
    expect([...folded.keys()]).toEqual(['job_1', 'intent_y']);
  });
});

describe('ResumeIndex with superseded lines', () => {
  it('an intent ended with status superseded, and a retry with an intent of its own: only the new job is visible', async () => {
    const rows = [
      row({ job_id: 'intent_x', status: 'submitted', idempotency_key: 'k1' }),
      row({ job_id: 'job_1', status: 'submitted', idempotency_key: 'k1' }),
      row({ job_id: 'intent_x', status: 'superseded', superseded_by: 'job_1' }),
      row({ job_id: 'job_1', status: 'failed', error: { code: 'X', message: 'm', category: 'provider' } }),
      row({ job_id: 'intent_x_redo', status: 'submitted', idempotency_key: 'k2' }),
      row({ job_id: 'job_2', status: 'submitted', idempotency_key: 'k2' }),
      row({ job_id: 'intent_x_redo', status: 'superseded', superseded_by: 'job_2' }),
      row({ job_id: 'job_1', status: 'superseded', superseded_by: 'job_2' }),
    ];
    const index = new ResumeIndex();
    for (const r of rows) index.update(r);
    expect(index.jobForContent('ocrqueen', sha)).toBe('job_2');
    expect([...index.visible()].map(([id]) => id)).toEqual(['job_2']);
    expect(index.get('intent_x')).toMatchObject({ status: 'superseded', superseded: true });
    expect([...(await foldRows(rows)).keys()]).toEqual(['job_2']);
  });
});

describe('ResumeIndex entries', () => {
  it('tracks status, sources and the last error code with the fold rules', () => {
    const index = new ResumeIndex();
    index.update(row({ job_id: 'j', status: 'submitted', source: 'a' }));
    index.update(row({ job_id: 'j', status: 'failed', source: 'b', sources: ['a', 'b', 'c'], error: { code: 'OCR_FAILED', message: 'x', category: 'engine' } }));
    expect(index.get('j')).toEqual({ status: 'failed', sources: ['a', 'b', 'c'], errorCode: 'OCR_FAILED', errorMessage: 'x' });
    index.update(row({ job_id: 'j', status: 'submitted', source: 'a' }));
    expect(index.get('j')).toEqual({ status: 'submitted', sources: ['a', 'b', 'c'], errorCode: 'OCR_FAILED' });
    index.update(row({ job_id: 'j', status: 'completed', source: 'a', error: undefined }));
    expect(index.get('j')).toEqual({ status: 'completed', sources: ['a', 'b', 'c'] });
    expect(index.has('j')).toBe(true);
    expect(index.get('nope')).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it("keeps a failed job's error message, shortened, until another outcome replaces it; never a skipped input's", () => {
    const index = new ResumeIndex();
    const failure = (message: string) => ({ code: 'PDF_INVALID', message, category: 'input' as const });
    index.update(row({ job_id: 'j', status: 'failed', source: 'a.pdf', error: failure('a.pdf: not a readable PDF (Invalid PDF structure.)') }));
    expect(index.get('j')?.errorMessage).toBe('a.pdf: not a readable PDF (Invalid PDF structure.)');
    // A sources update carries no error: the message stays.
    index.update(row({ job_id: 'j', status: 'failed', source: 'a.pdf', sources: ['a.pdf', 'b.pdf'] }));
    expect(index.get('j')).toMatchObject({ errorCode: 'PDF_INVALID', errorMessage: 'a.pdf: not a readable PDF (Invalid PDF structure.)' });
    // A long message is cut to ERROR_MESSAGE_CHARS, never inside a surrogate pair.
    const long = `a.pdf: ${'x'.repeat(ERROR_MESSAGE_CHARS - 9)}😀${'y'.repeat(5000)}`;
    index.update(row({ job_id: 'j', status: 'failed', error: failure(long) }));
    const kept = index.get('j')!.errorMessage!;
    expect(kept.length).toBeLessThanOrEqual(ERROR_MESSAGE_CHARS);
    expect(kept).toBe(`${long.slice(0, ERROR_MESSAGE_CHARS - 2)}…`);
    expect(kept).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/u);
    // Retried: processing, then completed; the old message goes with the failure.
    index.update(row({ job_id: 'j', status: 'processing' }));
    expect(index.get('j')).not.toHaveProperty('errorMessage');
    index.update(row({ job_id: 'j', status: 'failed', error: failure('a.pdf: again') }));
    index.update(row({ job_id: 'j', status: 'completed', text: 't' }));
    expect(index.get('j')).not.toHaveProperty('errorMessage');
    // Skipped inputs can be many and their summary shows counts: no message is kept for them.
    index.update(row({ job_id: 'skip_1', status: 'skipped', error: { code: 'UNSUPPORTED_TYPE', message: 'notes.txt: plain text', category: 'input' } }));
    expect(index.get('skip_1')).toEqual({ status: 'skipped', sources: ['a.pdf'], errorCode: 'UNSUPPORTED_TYPE' });
  });

  it('keeps a status it does not know, and the superseded mark until a row clears it', () => {
    const index = new ResumeIndex();
    index.update(row({ job_id: 'j', status: 'queued' as ManifestRow['status'] }));
    expect(index.get('j')?.status).toBe('queued');
    index.update(row({ job_id: 'j', status: 'failed', superseded_by: 'k' }));
    index.update(row({ job_id: 'j', status: 'failed' }));
    expect(index.get('j')).toMatchObject({ status: 'failed', superseded: true });
    index.update(row({ job_id: 'j', status: 'failed', superseded_by: null }));
    expect(index.get('j')?.superseded).toBeUndefined();
  });

  it('grows past its first columns and finds local jobs by their content-made id', () => {
    const index = new ResumeIndex();
    const shas = Array.from({ length: 3000 }, (_, i) => i.toString(16).padStart(8, '0').repeat(8));
    for (const [i, s] of shas.entries()) index.update(row({ job_id: `local_${s.slice(0, 32)}`, status: i % 2 ? 'completed' : 'failed', source: `f${i}.png`, sha256: s, target: 'local' }));
    expect(index.size).toBe(3000);
    expect(index.get(`local_${shas[2999].slice(0, 32)}`)).toEqual({ status: 'completed', sources: ['f2999.png'] });
    expect(index.get(`local_${shas[0].slice(0, 32)}`)?.status).toBe('failed');
    // Local ids are made from the content; only other targets' jobs are looked up by content.
    expect(index.jobForContent('local', shas[5])).toBeUndefined();
  });
});
