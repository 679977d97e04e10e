/**
 * Pages OCRed with a mean word confidence under --min-confidence (default 75) are marked, counted in the run's
 * summary and in `ocrq status`, and `ocrq export --low-confidence` lists their documents. The documents stay
 * completed. Read as one block of text (`--psm block`), a page of random dots reads at about 10; a clean fixture at
 * about 95. With layout analysis (the default) the dots are no text at all (test/targets/local/page-segmentation.test.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';
import { drawNoise } from '../targets/local/make-image.js';

type Row = Record<string, unknown> & { job_id: string; source: string; result?: { pages: Array<Record<string, unknown>> } };
const rows = (text: string): Row[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
const summaryOf = (stdout: string) => rows(stdout).at(-1)!;

describe('low-confidence pages', () => {
  it('are marked, counted, reported by status and exported alone with --low-confidence', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'in'));
    await fs.writeFile(path.join(dir, 'in', 'noise.png'), drawNoise(300, 150, 0.3));
    await fs.copyFile(path.join(FIXTURES, 'images', 'invoice.png'), path.join(dir, 'in', 'invoice.png'));
    const args = ['submit', 'in', '--out', 'm.jsonl', '--workers', '1', '--json', '--psm', 'block'];

    const first = await spawnOcrq(args, { cwd: dir }).exited;
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first.stdout)).toMatchObject({ type: 'summary', completed: 2, failed: 0, pages: 2, low_confidence_pages: 1 });

    const exported = await spawnOcrq(['export', 'm.jsonl', '--low-confidence'], { cwd: dir }).exited;
    expect(exported.code, exported.stderr).toBe(0);
    const [noise, ...others] = rows(exported.stdout);
    expect(others).toEqual([]);
    expect(noise).toMatchObject({ source: 'in/noise.png', status: 'completed', low_confidence_pages: 1 });
    expect(noise.result!.pages[0]).toMatchObject({ page: 1, source: 'ocr', low_confidence: true });
    expect(noise.result!.pages[0].confidence as number).toBeLessThan(50);

    const all = rows((await spawnOcrq(['export', 'm.jsonl'], { cwd: dir }).exited).stdout);
    const invoice = all.find((r) => r.source === 'in/invoice.png')!;
    expect(invoice.status).toBe('completed');
    expect(invoice).not.toHaveProperty('low_confidence_pages');
    expect(invoice.result!.pages[0]).not.toHaveProperty('low_confidence');
    expect(invoice.result!.pages[0].confidence as number).toBeGreaterThan(80);

    const csv = await spawnOcrq(['export', 'm.jsonl', '--low-confidence', '--format', 'csv'], { cwd: dir }).exited;
    expect(csv.stdout).toMatch(/^job_id,status,source,/u);
    expect(csv.stdout).toContain('in/noise.png');
    expect(csv.stdout).not.toContain('invoice');

    const status = await spawnOcrq(['status', 'm.jsonl'], { cwd: dir }).exited;
    expect(status.stdout).toContain('low confidence: 1 page in 1 document (ocrq export --low-confidence lists them)');

    // Redone with a threshold under the noise page's confidence (from the environment): no longer low, and the
    // manifest says so, so that nothing is exported.
    const again = await spawnOcrq([...args, '--force'], { cwd: dir, env: { OCRQ_MIN_CONFIDENCE: '5' } }).exited;
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again.stdout)).toMatchObject({ completed: 2, low_confidence_pages: 0 });
    const none = await spawnOcrq(['export', 'm.jsonl', '--low-confidence'], { cwd: dir }).exited;
    expect(none.stdout).toBe('');
    const lines = rows(await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8'));
    expect(lines.filter((l) => l.source === 'in/noise.png' && l.status === 'completed').map((l) => l.low_confidence_pages)).toEqual([1, 0]);
  });

  it('takes its threshold from --min-confidence and refuses one outside 0-100', { timeout: 60_000 }, async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'in'));
    await fs.copyFile(path.join(FIXTURES, 'images', 'invoice.png'), path.join(dir, 'in', 'invoice.png'));
    const strict = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '1', '--json', '--min-confidence', '99'], { cwd: dir }).exited;
    expect(summaryOf(strict.stdout)).toMatchObject({ completed: 1, low_confidence_pages: 1 });
    const bad = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--min-confidence', '150'], { cwd: dir }).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-confidence');
  });
});
