import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir, REPO_ROOT } from '../helpers/tmp.js';

const HOSTILE = path.join(REPO_ROOT, 'test', 'hostile-pdfs');
type Outcome = 'completed' | { code: string; reason?: string; reasons?: string[] };
const { budgets, files } = JSON.parse(await fs.readFile(path.join(HOSTILE, 'expected.json'), 'utf8')) as {
  budgets: string[];
  files: Record<string, { outcome: Outcome }>;
};
const ORDINARY = ['pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/mixed.pdf', 'images/invoice.png', 'images/receipt.jpg'];

async function copyInto(dir: string, entries: Array<[from: string, to: string]>): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const [from, to] of entries) await fs.copyFile(from, path.join(dir, to));
}

/** Resolves once a line of the manifest matches, polling the file (another process writes it). */
async function waitForLine(file: string, match: (row: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.endsWith('}')) continue;
      if (match(JSON.parse(line) as Record<string, unknown>)) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no matching line in ${file} within ${timeoutMs} ms`);
}

describe('hostile PDFs (spawned ocrq, budgeted document workers)', () => {
  it('gives every hostile PDF its row and code while the ordinary documents of the run complete', { timeout: 180_000 }, async () => {
    const dir = await makeTempDir();
    await copyInto(path.join(dir, 'in'), [
      ...Object.keys(files).map((f): [string, string] => [path.join(HOSTILE, f), f]),
      ...ORDINARY.map((f): [string, string] => [path.join(FIXTURES, f), `ordinary-${path.basename(f)}`]),
    ]);
    const r = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '2', '--json', ...budgets], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', files: Object.keys(files).length + ORDINARY.length, pending: 0 });
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    for (const [file, { outcome }] of Object.entries(files)) {
      const row = rowFor(folded, `in/${file}`);
      if (outcome === 'completed') expect(row, file).toMatchObject({ status: 'completed' });
      else if (outcome.reasons) {
        expect(row, file).toMatchObject({ status: 'failed', error: { code: outcome.code } });
        expect(outcome.reasons, file).toContain(row!.error!.reason);
      } else expect(row, file).toMatchObject({ status: 'failed', error: outcome });
    }
    for (const f of ORDINARY) expect(rowFor(folded, `in/ordinary-${path.basename(f)}`), f).toMatchObject({ status: 'completed' });
    // Budget failures name the page and the budget, and how to raise it.
    expect(rowFor(folded, 'in/slow-page.pdf')?.error).toMatchObject({ message: expect.stringContaining('in/slow-page.pdf: page 1: took longer than the 20 s budget per page') });
  });

  it('after two runs killed while a document is in progress, the third fails it with CRASHED_REPEATEDLY and completes the rest', { timeout: 180_000 }, async () => {
    const dir = await makeTempDir();
    // Named to come first, so that it is in progress early; it renders for about 35 s.
    await copyInto(path.join(dir, 'in'), [
      [path.join(HOSTILE, 'slow-page.pdf'), 'a-slow.pdf'],
      ...ORDINARY.map((f): [string, string] => [path.join(FIXTURES, f), path.basename(f)]),
    ]);
    const manifest = path.join(dir, 'm.jsonl');
    const args = ['submit', 'in', '--out', 'm.jsonl', '--workers', '2', '--json'];
    const slowAttempt = (n: number) => (row: Record<string, unknown>) => row.source === 'in/a-slow.pdf' && row.status === 'processing' && row.unfinished_attempts === n;
    for (const attempt of [1, 2]) {
      const run = spawnOcrq(args, { cwd: dir });
      await waitForLine(manifest, slowAttempt(attempt));
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
    }
    const third = await spawnOcrq(args, { cwd: dir }).exited;
    expect(third.code, third.stderr).toBe(3);
    const folded = fold(await readRows(manifest));
    expect(rowFor(folded, 'in/a-slow.pdf')).toMatchObject({
      status: 'failed',
      error: { code: 'CRASHED_REPEATEDLY', message: expect.stringContaining('the run stopped 2 times while this document was in progress') },
    });
    for (const f of ORDINARY) expect(rowFor(folded, `in/${path.basename(f)}`), f).toMatchObject({ status: 'completed' });
    expect(JSON.parse(third.stdout.trim().split('\n').at(-1)!)).toMatchObject({ completed: ORDINARY.length, failed: 1 });

    // Brought back on purpose, it is tried again (and stopped by a tight time budget here).
    const retried = await spawnOcrq([...args, '--retry-failed', 'CRASHED_REPEATEDLY', '--max-page-seconds', '2'], { cwd: dir }).exited;
    expect(retried.code, retried.stderr).toBe(3);
    expect(rowFor(fold(await readRows(manifest)), 'in/a-slow.pdf')).toMatchObject({ status: 'failed', error: { code: 'LIMIT_EXCEEDED', reason: 'time' } });
  });

  it('finishes a run holding a page over the pixel cap and an ordinary scan', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir();
    await copyInto(path.join(dir, 'in'), [
      [path.join(HOSTILE, 'poster-scan.pdf'), 'poster-scan.pdf'],
      [path.join(HOSTILE, 'scanned-4-pages.pdf'), 'scanned-4-pages.pdf'],
    ]);
    const r = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '2', '--json'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(3);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    expect(rowFor(folded, 'in/poster-scan.pdf')).toMatchObject({ status: 'failed', error: { code: 'LIMIT_EXCEEDED', reason: 'pixels' } });
    expect(rowFor(folded, 'in/scanned-4-pages.pdf')).toMatchObject({ status: 'completed', pages: 4 });
  });

  it('keeps the run moving while a heavy page renders', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir();
    const images = ['invoice.png', 'receipt.jpg', 'memo.webp', 'sign.gif', 'letter.tiff'];
    await copyInto(path.join(dir, 'in'), [
      [path.join(HOSTILE, 'slow-page.pdf'), 'a-slow.pdf'],
      ...images.map((f): [string, string] => [path.join(FIXTURES, 'images', f), f]),
    ]);
    const run = spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '2', '--json'], { cwd: dir });
    const done: string[] = [];
    let slowDone = false;
    run.onLine((line) => {
      const e = JSON.parse(line);
      if (e.type !== 'document' || e.outcome !== 'processed') return;
      if (e.source === 'in/a-slow.pdf') slowDone = true;
      else done.push(e.source);
      // Every other document completed while the heavy page was still rendering: stop the run there.
      if (done.length === images.length && !slowDone) run.child.kill('SIGINT');
    });
    const r = await run.exited;
    expect(slowDone, r.stderr).toBe(false);
    expect(done.sort()).toEqual(images.map((f) => `in/${f}`).sort());
    expect(r.code).toBe(130);
    // The interrupted attempt was taken back: a clean stop is not a crash.
    expect(rowFor(fold(await readRows(path.join(dir, 'm.jsonl'))), 'in/a-slow.pdf')).toMatchObject({ status: 'processing', unfinished_attempts: 0 });
  });
});
