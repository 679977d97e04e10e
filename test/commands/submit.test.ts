import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/main.js';
import { characterErrorRate } from '../../src/targets/local/cer.js';
import type { ManifestRow, PageResult } from '../../src/manifest/types.js';
import { captureIo } from '../helpers/io.js';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { GROUND_TRUTH, MAX_CER, textFixtures } from '../helpers/ground-truth.js';
import { FIXTURES } from '../helpers/tmp.js';
import os from 'node:os';

/**
 * The main job on the real local engine over a copy of fixtures/: every fixture ends with the row and code the
 * ground truth gives, and re-runs resume. One full OCR run is shared by the tests of this file.
 */
let dir: string;
let firstExit: number;
let firstErr: string;
let rows: ManifestRow[];
let folded: Map<string, ManifestRow>;
let treeBefore: string[];

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocrq-submit-'));
  await fs.cp(FIXTURES, path.join(dir, 'fixtures'), { recursive: true });
  treeBefore = await listTree(path.join(dir, 'fixtures'));
  await fs.mkdir(path.join(dir, 'out'));
  const io = captureIo(dir);
  firstExit = await run(['submit', 'fixtures', '--out', 'out/m.jsonl', '--workers', '2', '--csv', 'out/m.csv', '--results-dir', 'out/results'], io.deps);
  firstErr = io.stderr();
  rows = await readRows(path.join(dir, 'out/m.jsonl'));
  folded = fold(rows);
}, 240_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ocrq submit fixtures (local engine)', () => {
  it('exits 3 (partial): the protected and corrupt PDFs fail, everything else completes', () => {
    expect(firstExit, firstErr).toBe(3);
    expect(firstErr).toMatch(/PDF_PASSWORD_PROTECTED/);
    expect(firstErr).toMatch(/PDF_INVALID/);
  });

  it.each(textFixtures())('%s is completed with text matching the ground truth', (rel, truth) => {
    const row = rowFor(folded, `fixtures/${rel}`);
    expect(row, `no row for fixtures/${rel}`).toBeDefined();
    expect(row!.status).toBe('completed');
    expect(row!.job_id).toBe(`local_${row!.sha256!.slice(0, 32)}`);
    expect(row!.pages).toBe(truth.pages.length);
    const pages = (row!.result as { pages: PageResult[] }).pages;
    expect(pages.map((p) => p.source)).toEqual(truth.textLayer.map((t) => (t ? 'text-layer' : 'ocr')));
    truth.pages.forEach((expected, i) => {
      const cer = characterErrorRate(pages[i].text, expected);
      expect(cer, `page ${i + 1} of ${rel}: ${JSON.stringify(pages[i].text)}`).toBeLessThan(MAX_CER);
      if (pages[i].source === 'ocr') expect(pages[i].confidence).toBeGreaterThan(50);
      else expect(pages[i].confidence).toBeNull();
    });
    expect(characterErrorRate(row!.text!, truth.pages.join('\n'))).toBeLessThan(MAX_CER);
  });

  it.each(Object.entries(GROUND_TRUTH).filter(([, t]) => 'error' in t || 'skipped' in t))('%s gets its documented code', (rel, truth) => {
    const row = rowFor(folded, `fixtures/${rel}`);
    expect(row).toBeDefined();
    if ('error' in truth) expect(row).toMatchObject({ status: 'failed', error: { code: truth.error } });
    if ('skipped' in truth) expect(row).toMatchObject({ status: 'skipped', error: { code: truth.skipped } });
    expect(row!.error!.message).toContain(`fixtures/${rel}`);
  });

  it('processes identical content once and lists every source', () => {
    const invoice = rowFor(folded, 'fixtures/images/invoice.png')!;
    expect(invoice.sources).toEqual(expect.arrayContaining(['fixtures/images/invoice.png', 'fixtures/archive.zip!/images/invoice.png']));
    const completedLines = rows.filter((r) => r.job_id === invoice.job_id && r.status === 'completed' && r.text !== undefined);
    expect(completedLines).toHaveLength(1);
  });

  it('gives every hostile archive its row and code while the rest completes', () => {
    const bySource = (prefix: string) => [...folded.values()].filter((r) => r.sources!.some((s) => s.startsWith(prefix)));
    const codes = (prefix: string) => bySource(prefix).map((r) => r.error?.code ?? r.status);
    expect(codes('fixtures/hostile/traversal.zip')).toEqual(expect.arrayContaining(['ZIP_UNSAFE']));
    expect(codes('fixtures/hostile/symlink.zip')).toContain('ZIP_UNSAFE');
    expect(codes('fixtures/hostile/ratio-bomb.zip')).toContain('ZIP_UNSAFE');
    expect(codes('fixtures/hostile/lying-size.zip')).toContain('ZIP_UNSAFE');
    expect(codes('fixtures/hostile/encrypted.zip')).toContain('ZIP_UNSAFE');
    expect(codes('fixtures/hostile/too-deep.zip')).toContain('ZIP_UNSAFE');
    expect(codes('fixtures/hostile/many-entries.zip')).toEqual(['ZIP_UNSAFE']);
    expect(codes('fixtures/hostile/truncated.zip')).toContain('ZIP_INVALID');
    expect(codes('fixtures/hostile/bad-crc.zip')).toContain('ZIP_INVALID');
    expect(codes('fixtures/hostile/not-a-zip.zip')).toEqual(['UNSUPPORTED_TYPE']);
    for (const r of bySource('fixtures/hostile/')) expect(['skipped', 'completed']).toContain(r.status);
  });

  it('writes nothing outside the manifest, the CSV and the results dir', async () => {
    expect(await listTree(path.join(dir, 'fixtures'))).toEqual(treeBefore);
    const top = (await fs.readdir(dir)).sort();
    expect(top).toEqual(['fixtures', 'out']);
    const out = await listTree(path.join(dir, 'out'));
    const completed = [...folded.values()].filter((r) => r.status === 'completed');
    // By source: a text and a JSON file for every source of every completed document, copies and ZIP entries included.
    const expected = ['m.csv', 'm.jsonl', ...completed.flatMap((r) => r.sources!.flatMap((s) => [`results/${s}.json`, `results/${s}.txt`]))];
    expect(out).toEqual(expected.sort());
    expect(expected).toContain('results/fixtures/archive.zip!/images/invoice.png.txt');
    for (const r of completed) for (const s of r.sources!) expect(await fs.readFile(path.join(dir, 'out/results', `${s}.txt`), 'utf8')).toBe(r.text);
    const csv = await fs.readFile(path.join(dir, 'out/m.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('job_id,status,source,sha256,target,pages,error_code,error_message,sources,text');
  });

  it('resumes: a re-run processes nothing, keeps the failures, and exits 3 again', async () => {
    const io = captureIo(dir);
    const code = await run(['submit', 'fixtures', '--out', 'out/m.jsonl', '--json'], io.deps);
    expect(code).toBe(3);
    const lines = io.stdout().trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', processed: 0, failed: 2, exit_code: 3 });
    expect(summary.completed).toBe([...folded.values()].filter((r) => r.status === 'completed').length);
    expect(summary.already_done).toBeGreaterThan(0);
    const after = await readRows(path.join(dir, 'out/m.jsonl'));
    expect(after.length).toBe(rows.length);
  });

  it('a resumed run reports each kept failure with its original reason', async () => {
    const io = captureIo(dir);
    expect(await run(['submit', 'fixtures', '--out', 'out/m.jsonl'], io.deps)).toBe(3);
    const failed = io.stderr().slice(io.stderr().indexOf('ocrq: failed documents:'));
    expect(failed).toContain(
      '  PDF_INVALID  fixtures/pdfs/corrupt.pdf: not a readable PDF (Invalid PDF structure.) (from an earlier run; retry with --retry-failed)\n',
    );
    expect(failed).toMatch(/^ {2}PDF_PASSWORD_PROTECTED {2}fixtures\/pdfs\/protected\.pdf: PDF is password-protected .*\(from an earlier run; retry with --retry-failed\)$/mu);
  });

  it('--retry-failed CODE processes only failures with that code', async () => {
    const io = captureIo(dir);
    const code = await run(['submit', 'fixtures', '--out', 'out/m.jsonl', '--json', '--retry-failed', 'PDF_INVALID'], io.deps);
    expect(code).toBe(3);
    const events = io.stdout().trim().split('\n').map((l) => JSON.parse(l));
    const processed = events.filter((e) => e.type === 'document' && e.outcome === 'processed' && e.status !== 'skipped');
    expect(processed.map((e) => e.source)).toEqual(['fixtures/pdfs/corrupt.pdf']);
    expect(events.at(-1)).toMatchObject({ type: 'summary', processed: 1, failed: 2 });
  });
});

describe('ocrq submit --dry-run', () => {
  it('counts documents, pages and duplicates, processes nothing and writes no manifest', async () => {
    const io = captureIo(path.dirname(FIXTURES));
    const manifest = path.join(os.tmpdir(), `ocrq-dry-${process.pid}.jsonl`);
    const code = await run(['submit', 'fixtures', '--dry-run', '--json', '--out', manifest], io.deps);
    expect(code).toBe(0);
    await expect(fs.access(manifest)).rejects.toThrow();
    const summary = JSON.parse(io.stdout().trim().split('\n').at(-1)!);
    // born-digital, scanned, mixed, then owner-only, encrypted-attachment and filled-form.
    const pdfPages = 2 + 3 + 2 + 1 + 1 + 1;
    const images = textFixtures().filter(([rel]) => !rel.endsWith('.pdf')).length;
    expect(summary).toMatchObject({ type: 'summary', dry_run: true, completed: 0, failed: 0, exit_code: 0 });
    // protected and corrupt PDFs cannot be counted; every other document is planned with its pages.
    expect(summary.pages).toBe(pdfPages + images);
    expect(summary.duplicates).toBeGreaterThan(0);
  });
});
