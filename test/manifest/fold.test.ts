import { describe, expect, it } from 'vitest';
import { foldRows, mergeRow } from '../../src/manifest/fold.js';
import type { ManifestRow } from '../../src/manifest/types.js';

const base = { sha256: 'abc', target: 'local', ts: '2024-01-01T00:00:00Z' };

describe('foldRows', () => {
  it('merges later lines field by field and unions sources in order', async () => {
    const rows: ManifestRow[] = [
      { ...base, job_id: 'j1', status: 'submitted', source: 'a.pdf' },
      { ...base, job_id: 'j2', status: 'skipped', source: 'x.bin', error: { code: 'UNSUPPORTED_TYPE', message: 'no', category: 'input' } },
      { ...base, job_id: 'j1', status: 'submitted', source: 'b.pdf', sources: ['b.pdf', 'z.zip!/c.pdf'] },
      { ...base, job_id: 'j1', status: 'completed', source: 'a.pdf', text: 'hello', pages: 2, ts: '2024-01-02T00:00:00Z' },
    ];
    const folded = await foldRows(rows);
    expect([...folded.keys()]).toEqual(['j1', 'j2']);
    expect(folded.get('j1')).toEqual({
      ...base,
      job_id: 'j1',
      status: 'completed',
      source: 'a.pdf',
      sources: ['a.pdf', 'b.pdf', 'z.zip!/c.pdf'],
      text: 'hello',
      pages: 2,
      ts: '2024-01-02T00:00:00Z',
    });
    expect(folded.get('j2')?.sources).toEqual(['x.bin']);
    // The input rows are not modified.
    expect(rows[0]).not.toHaveProperty('sources');
  });

  it('accepts an async iterable', async () => {
    async function* gen() {
      yield { ...base, job_id: 'j', status: 'submitted', source: 'a' } as ManifestRow;
      yield { ...base, job_id: 'j', status: 'failed', source: 'a' } as ManifestRow;
    }
    expect((await foldRows(gen())).get('j')?.status).toBe('failed');
  });

  it('keeps the first known source and sha256 when a later line has null', () => {
    let folded = mergeRow(undefined, { ...base, job_id: 'j', status: 'submitted', source: 'a.pdf' });
    folded = mergeRow(folded, { job_id: 'j', status: 'completed', source: null, sha256: null, target: 'ocrqueen', ts: 'x' } as unknown as ManifestRow);
    expect(folded).toMatchObject({ source: 'a.pdf', sha256: 'abc', status: 'completed', target: 'ocrqueen', sources: ['a.pdf'] });
  });

  it('takes a source from a later line when the first had none', () => {
    let folded = mergeRow(undefined, { job_id: 'j', status: 'completed', source: null } as unknown as ManifestRow);
    expect(folded.sources).toEqual([]);
    folded = mergeRow(folded, { ...base, job_id: 'j', status: 'completed', source: 'late.pdf' });
    expect(folded.source).toBe('late.pdf');
    expect(folded.sources).toEqual(['late.pdf']);
  });

  it('treats a "__proto__" key as data, not as a prototype', () => {
    const row = JSON.parse('{"job_id":"j","status":"completed","source":"a","__proto__":{"polluted":true}}') as ManifestRow;
    const folded = mergeRow(undefined, row);
    expect(Object.getPrototypeOf(folded)).toBe(Object.prototype);
    expect((folded as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('outcome fields', () => {
  it('a later outcome replaces the earlier one: a retried failure that completes keeps no error', async () => {
    const job = { ...base, job_id: 'j', source: 'a.pdf' };
    const folded = await foldRows([
      { ...job, status: 'failed', error: { code: 'OCR_FAILED', message: 'm', category: 'engine' } },
      { ...job, status: 'completed', text: 'hello', pages: 1, result: { pages: [] } },
      { ...job, status: 'completed', sources: ['a.pdf', 'b.pdf'] },
    ]);
    const row = folded.get('j')!;
    expect(row).toMatchObject({ status: 'completed', text: 'hello', pages: 1, sources: ['a.pdf', 'b.pdf'] });
    expect(row.error).toBeUndefined();
  });
});
