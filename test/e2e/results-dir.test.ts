import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../../scripts/lib/zip-writer.mjs';
import type { ManifestRow } from '../../src/manifest/types.js';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';
import { parseCsv } from '../manifest/parse-csv.js';

/**
 * `--results-dir` as a user meets it (spawned ocrq; PDFs with a text layer, so no OCR is needed): files by source
 * path by default, one set per source (copies in the run, copies met in a later run, ZIP entries, absolute and `..`
 * sources), never written through a symbolic link; by job id with `--results-layout job`; the CSV's text column holds
 * the text unless `--csv-text path`.
 */
const fixture = (rel: string) => fs.readFile(path.join(FIXTURES, rel));

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isDirectory()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** A batch with a copy on disk, a copy in an archive, a file outside the working folder and one by absolute path. */
async function batch(): Promise<{ root: string; work: string; absolute: string }> {
  const root = await makeTempDir();
  const work = path.join(root, 'w');
  const bornDigital = await fixture('pdfs/born-digital.pdf');
  const files: Record<string, Buffer> = {
    'w/in/2024/a.pdf': bornDigital,
    'w/in/b.pdf': await fixture('pdfs/owner-only.pdf'),
    'w/in/copy of a.pdf': bornDigital,
    'w/in/pack.zip': buildZip([
      { name: 'inner/' },
      { name: 'inner/c.pdf', data: await fixture('pdfs/filled-form.pdf') },
      { name: 'inner/a-again.pdf', data: bornDigital },
    ]),
    'outside/d.pdf': await fixture('pdfs/encrypted-attachment.pdf'),
    'abs/e.pdf': await fixture('pdfs/mixed.pdf'),
  };
  for (const [rel, data] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), data);
  }
  return { root, work, absolute: path.join(root, 'abs/e.pdf') };
}

/** What a source's files are named below the results folder. */
const bySource = (source: string) => source.replace(/^\/+/u, '').replace(/(^|\/)\.\.(?=\/)/gu, '$1__');

describe('--results-dir by source (spawned ocrq)', () => {
  it('writes <source>.txt and .json for every source of every completed document, and the CSV holds the text', async () => {
    const { root, work, absolute } = await batch();
    const r = await spawnOcrq(['submit', 'in', '../outside/d.pdf', absolute, '--results-dir', 'results', '--csv', 'run.csv', '--workers', '1'], { cwd: work }).exited;
    expect(r.code, r.stderr).toBe(0);
    const folded = fold(await readRows(path.join(work, 'ocrq-manifest.jsonl')));
    const completed = [...folded.values()].filter((row) => row.status === 'completed');
    expect(completed).toHaveLength(5);
    const sources = completed.flatMap((row) => row.sources!);
    expect(sources.sort()).toEqual(
      ['../outside/d.pdf', absolute, 'in/2024/a.pdf', 'in/b.pdf', 'in/copy of a.pdf', 'in/pack.zip!/inner/a-again.pdf', 'in/pack.zip!/inner/c.pdf'].sort(),
    );
    // Exactly these files, and nothing outside the results folder.
    const expected = sources.flatMap((s) => [`${bySource(s)}.json`, `${bySource(s)}.txt`]);
    expect(await listTree(path.join(work, 'results'))).toEqual(expected.sort());
    expect(expected).toContain('in/pack.zip!/inner/c.pdf.txt');
    expect(expected).toContain('__/outside/d.pdf.txt');
    expect(expected).toContain(`${absolute.slice(1)}.txt`);
    expect(await listTree(root)).toEqual(
      ['abs/e.pdf', 'outside/d.pdf', 'w/in/2024/a.pdf', 'w/in/b.pdf', 'w/in/copy of a.pdf', 'w/in/pack.zip', 'w/ocrq-manifest.jsonl', 'w/run.csv', ...expected.map((f) => `w/results/${f}`)].sort(),
    );
    for (const row of completed) {
      expect(row.text_path).toBe(path.join(work, 'results', `${bySource(row.source!)}.txt`));
      for (const source of row.sources!) {
        const txt = path.join(work, 'results', `${bySource(source)}.txt`);
        expect(await fs.readFile(txt, 'utf8')).toBe(row.text);
        const json = JSON.parse(await fs.readFile(path.join(work, 'results', `${bySource(source)}.json`), 'utf8')) as ManifestRow;
        expect(json).toMatchObject({ job_id: row.job_id, status: 'completed', text: row.text, text_path: txt });
      }
    }
    const csv = parseCsv(await fs.readFile(path.join(work, 'run.csv'), 'utf8'));
    const a = rowFor(folded, 'in/2024/a.pdf')!;
    expect(csv.find((rec) => rec[0] === a.job_id)![9]).toBe(a.text);
    expect(a.text).toContain('Quarterly Report 2024');
  });

  it('gives a copy met in a later run its own files, made from those of the copy written before', async () => {
    const { work } = await batch();
    expect((await spawnOcrq(['submit', 'in', '--results-dir', 'results', '--workers', '1', '-q'], { cwd: work }).exited).code).toBe(0);
    await fs.mkdir(path.join(work, 'in/later'));
    await fs.copyFile(path.join(work, 'in/b.pdf'), path.join(work, 'in/later/b again.pdf'));
    const again = await spawnOcrq(['submit', 'in', '--results-dir', 'results', '--workers', '1', '--json'], { cwd: work }).exited;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ processed: 0 });
    const row = rowFor(fold(await readRows(path.join(work, 'ocrq-manifest.jsonl'))), 'in/later/b again.pdf')!;
    const txt = path.join(work, 'results/in/later/b again.pdf.txt');
    expect(await fs.readFile(txt, 'utf8')).toBe(row.text);
    const json = JSON.parse(await fs.readFile(path.join(work, 'results/in/later/b again.pdf.json'), 'utf8')) as ManifestRow;
    expect(json).toMatchObject({ job_id: row.job_id, text: row.text, text_path: txt, sources: ['in/b.pdf', 'in/later/b again.pdf'] });
  });

  it('never writes through a symbolic link in the results folder: that source is left out with a warning', async () => {
    const { root, work } = await batch();
    const elsewhere = path.join(root, 'elsewhere');
    await fs.mkdir(elsewhere);
    await fs.mkdir(path.join(work, 'results'));
    await fs.symlink(elsewhere, path.join(work, 'results/in'));
    // A link at a file's own name is replaced, not written through.
    await fs.mkdir(path.join(work, 'results/__/outside'), { recursive: true });
    await fs.writeFile(path.join(elsewhere, 'target.txt'), 'keep me');
    await fs.symlink(path.join(elsewhere, 'target.txt'), path.join(work, 'results/__/outside/d.pdf.txt'));
    const r = await spawnOcrq(['submit', 'in', '../outside/d.pdf', '--results-dir', 'results', '--workers', '1'], { cwd: work }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`ocrq: warning: --results-dir: no result files for in/b.pdf: ${path.join(work, 'results/in')} is a symbolic link; never followed\n`);
    expect(await fs.readdir(elsewhere)).toEqual(['target.txt']);
    expect(await fs.readFile(path.join(elsewhere, 'target.txt'), 'utf8')).toBe('keep me');
    const d = await fs.lstat(path.join(work, 'results/__/outside/d.pdf.txt'));
    expect(d.isFile()).toBe(true);
    const folded = fold(await readRows(path.join(work, 'ocrq-manifest.jsonl')));
    // The text is in the manifest all the same; text_path only names a file that was written.
    expect(rowFor(folded, 'in/b.pdf')).toMatchObject({ status: 'completed' });
    expect(rowFor(folded, 'in/b.pdf')!.text_path).toBeUndefined();
    expect(rowFor(folded, '../outside/d.pdf')!.text_path).toBe(path.join(work, 'results/__/outside/d.pdf.txt'));
  });
});

describe('--results-layout job and --csv-text path (spawned ocrq)', () => {
  it('lays files out by job id, and the CSV holds the paths when asked', async () => {
    const { work } = await batch();
    const r = await spawnOcrq(['submit', 'in', '--results-dir', 'results', '--results-layout', 'job', '--csv', 'run.csv', '--csv-text', 'path', '--workers', '1'], { cwd: work }).exited;
    expect(r.code, r.stderr).toBe(0);
    const completed = [...fold(await readRows(path.join(work, 'ocrq-manifest.jsonl'))).values()].filter((row) => row.status === 'completed');
    expect(await listTree(path.join(work, 'results'))).toEqual(completed.flatMap((row) => [`${row.job_id}.json`, `${row.job_id}.txt`]).sort());
    const csv = parseCsv(await fs.readFile(path.join(work, 'run.csv'), 'utf8'));
    for (const row of completed) {
      expect(row.text_path).toBe(path.join(work, 'results', `${row.job_id}.txt`));
      expect(csv.find((rec) => rec[0] === row.job_id)![9]).toBe(row.text_path);
    }
  });

  it('refuses the new flags where they mean nothing, before anything starts', async () => {
    const { work } = await batch();
    const layout = await spawnOcrq(['submit', 'in', '--results-layout', 'job'], { cwd: work }).exited;
    expect(layout.code).toBe(2);
    expect(layout.stderr).toMatch(/^ocrq: error: --results-layout needs --results-dir\n/u);
    const csvText = await spawnOcrq(['submit', 'in', '--csv', 'run.csv', '--csv-text', 'path'], { cwd: work }).exited;
    expect(csvText.code).toBe(2);
    expect(csvText.stderr).toMatch(/^ocrq: error: --csv-text path puts the paths of the text files of --results-dir in the CSV\n/u);
    const bad = await spawnOcrq(['submit', 'in', '--results-dir', 'r', '--results-layout', 'date'], { cwd: work }).exited;
    expect(bad.code).toBe(2);
    expect(await fs.readdir(work)).toEqual(['in']);
  });
});
