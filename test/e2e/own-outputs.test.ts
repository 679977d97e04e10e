import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRows } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

/**
 * `ocrq submit .` run again and again in the folder it writes to (spawned ocrq; PDFs with a text layer, so no OCR is
 * needed): the manifest, its lock and side files, the CSV and the results folder are never taken for documents.
 */
describe('a run never reads its own outputs', () => {
  it('leaves the manifest, the CSV and the results folder out of the walk, run after run', async () => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'a.pdf'));
    await fs.copyFile(path.join(FIXTURES, 'pdfs/owner-only.pdf'), path.join(dir, 'b.pdf'));
    const submit = async () => {
      const r = await spawnOcrq(['submit', '.', '--csv', 'run.csv', '--results-dir', 'text', '--json'], { cwd: dir, env: { ...process.env, CI: '1' } }).exited;
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    };
    const first = await submit();
    expect(first).toMatchObject({ documents: 2, completed: 2, skipped: 0 });
    // A side file of an earlier repair sits beside the manifest too.
    await fs.writeFile(path.join(dir, 'ocrq-manifest.jsonl.corrupt'), '{"torn\n');
    const second = await submit();
    expect(second).toMatchObject({ documents: 2, processed: 0, already_done: 2, skipped: 0 });
    const rows = await readRows(path.join(dir, 'ocrq-manifest.jsonl'));
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['a.pdf', 'b.pdf']));
    // What the run wrote is there to be left out.
    expect((await fs.readdir(dir)).sort()).toEqual(['a.pdf', 'b.pdf', 'ocrq-manifest.jsonl', 'ocrq-manifest.jsonl.corrupt', 'run.csv', 'text']);
  }, 60_000);
});
