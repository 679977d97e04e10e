import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldRows } from '../../src/manifest/fold.js';
import { DEFER_LINE_BYTES, readFoldedManifest } from '../../src/manifest/folded-view.js';
import { readManifestRows } from '../../src/manifest/read.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { makeTempDir } from '../helpers/tmp.js';

const line = (job: string, status: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ job_id: job, status, source: `${job}.pdf`, sha256: null, target: 'local', ts: 't', ...extra });

async function collect(rows: AsyncIterable<ManifestRow>) {
  const out: ManifestRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('readFoldedManifest', () => {
  it('yields the same rows as foldRows, reading long texts back from their lines', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const long = (n: number) => `${n}:${'ü'.repeat(DEFER_LINE_BYTES)}`;
    await fs.writeFile(
      file,
      [
        line('a', 'submitted'),
        line('b', 'completed', { text: long(1), result: { pages: [{ text: long(1) }] }, pages: 1 }),
        line('a', 'completed', { source: 'a2.pdf', text: 'short' }),
        line('c', 'completed', { text: long(2) }),
        line('c', 'completed', { text: 'replaced by a short line' }),
        line('d', 'completed', { text: long(3) }),
        line('d', 'completed', { text: long(4), pages: 9 }),
        line('b', 'failed', { error: { code: 'X', message: 'm' } }),
        '',
      ].join('\n'),
    );
    const expected = [...(await foldRows(readManifestRows(file))).values()];
    const rows = await collect(readFoldedManifest(file));
    expect(rows).toEqual(expected);
    expect(rows.map((r) => r.job_id)).toEqual(['a', 'b', 'c', 'd']);
    // b failed after completing (a forced re-run): its old text and result go with the old outcome.
    expect(rows[1]).toMatchObject({ status: 'failed', error: { code: 'X' } });
    expect(rows[1].text).toBeUndefined();
    expect(rows[1].result).toBeUndefined();
    expect(rows[2].text).toBe('replaced by a short line');
    expect(rows[3].text).toBe(long(4));
    // Key order is that of the first line, as with foldRows.
    expect(Object.keys(rows[1])).toEqual(Object.keys(expected[1]));
  });

  it('passes the torn-tail warning through', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${line('a', 'completed')}\n{"job_id":"b`);
    const warnings: string[] = [];
    const rows = await collect(readFoldedManifest(file, { onWarning: (m) => warnings.push(m) }));
    expect(rows.map((r) => r.job_id)).toEqual(['a']);
    expect(warnings).toEqual([expect.stringContaining('torn last line')]);
  });
});
