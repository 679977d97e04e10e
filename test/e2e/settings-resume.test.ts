import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { FIXTURES, makeTempDir, REPO_ROOT } from '../helpers/tmp.js';
import { DEFAULT_PSM } from '../../src/targets/local/page-segmentation.js';

/** Two scanned images (OCRed) and a born-digital PDF (read from its text layer). */
async function corpus(): Promise<string> {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'docs'));
  await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), path.join(dir, 'docs/invoice.png'));
  await fs.copyFile(path.join(FIXTURES, 'images/receipt.jpg'), path.join(dir, 'docs/receipt.jpg'));
  await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'docs/born-digital.pdf'));
  return dir;
}

async function submit(dir: string, args: string[]) {
  const r = await spawnOcrq(['submit', 'docs', '--workers', '1', ...args], { cwd: dir, env: { ...process.env, CI: '1' } }).exited;
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe('a re-run with other settings (spawned ocrq)', () => {
  it('processes again exactly the documents whose result depends on a changed setting, and says so', async () => {
    const dir = await corpus();
    const manifest = path.join(dir, 'ocrq-manifest.jsonl');
    await submit(dir, ['--lang', 'eng']);
    const first = fold(await readRows(manifest));
    expect(rowFor(first, 'docs/invoice.png')?.settings).toEqual({ engine: 'tesseract.js', lang: 'eng', dpi: '300', force_ocr: 'false', rotate: 'false', psm: DEFAULT_PSM });
    // Read from its text layer: the OCR language and resolution played no part.
    expect(rowFor(first, 'docs/born-digital.pdf')?.settings).toEqual({ engine: 'tesseract.js', force_ocr: 'false' });

    // Settings that do not change a result never trigger work.
    const same = await submit(dir, ['--lang', 'eng', '--workers', '2', '--max-page-seconds', '60']);
    expect(same.stderr).toMatch(/\(processed 0, 3 already done\)/);
    expect(same.stderr).not.toContain('other settings');

    // A dry run tells how many would be redone before anything runs.
    const dry = await submit(dir, ['--lang', 'eng+fra', '--dpi', '150', '--dry-run']);
    expect(dry.stderr).toContain('ocrq: 2 documents done with other settings (lang eng -> eng+fra, dpi 300 -> 150): would be processed again');
    const lines = (await fs.readFile(manifest, 'utf8')).split('\n').filter(Boolean).length;

    const redo = await submit(dir, ['--lang', 'eng+fra', '--dpi', '150', '--json']);
    const summary = JSON.parse(redo.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ processed: 2, already_done: 1, redone_for_settings: [{ change: 'lang eng -> eng+fra, dpi 300 -> 150', documents: 2 }] });
    const after = fold(await readRows(manifest));
    expect(rowFor(after, 'docs/receipt.jpg')?.settings).toMatchObject({ lang: 'eng+fra', dpi: '150' });
    expect((rowFor(after, 'docs/receipt.jpg')?.result as { lang: string }).lang).toBe('eng+fra');
    expect(String(rowFor(after, 'docs/receipt.jpg')?.text)).toContain('Corner Bakery');
    expect((await fs.readFile(manifest, 'utf8')).split('\n').filter(Boolean).length).toBeGreaterThan(lines);

    // --force-ocr changes what a text-layer document's result is made of: that one is redone too.
    const forced = await submit(dir, ['--lang', 'eng+fra', '--dpi', '150', '--force-ocr', '--json']);
    const forcedSummary = JSON.parse(forced.stdout.trim().split('\n').at(-1)!);
    expect(forcedSummary.processed).toBe(3);
    const warnings = forced.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string }).filter((e) => e.type === 'warning');
    expect(warnings.map((w) => w.message)).toContain('documents done with other settings (force-ocr false -> true): processing them again');
  }, 180_000);

  it('processes again the OCRed documents when --psm changes, and not one read from its text layer', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'docs'));
    await fs.copyFile(path.join(REPO_ROOT, 'test/layout/two-column.png'), path.join(dir, 'docs/two-column.png'));
    await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'docs/born-digital.pdf'));
    const manifest = path.join(dir, 'ocrq-manifest.jsonl');
    await submit(dir, ['--psm', 'auto']);
    const first = fold(await readRows(manifest));
    expect(rowFor(first, 'docs/two-column.png')?.settings).toMatchObject({ psm: 'auto' });
    expect(rowFor(first, 'docs/born-digital.pdf')?.settings).not.toHaveProperty('psm');
    const columns = String(rowFor(first, 'docs/two-column.png')?.text);

    const redo = await submit(dir, ['--psm', 'block', '--json']);
    const summary = JSON.parse(redo.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ processed: 1, already_done: 1, redone_for_settings: [{ change: 'psm auto -> block', documents: 1 }] });
    const after = fold(await readRows(manifest));
    expect(rowFor(after, 'docs/two-column.png')?.settings).toMatchObject({ psm: 'block' });
    // Read as one block, the two columns' lines are read across: the text is not the one read before.
    expect(String(rowFor(after, 'docs/two-column.png')?.text)).not.toBe(columns);
    expect(String(rowFor(after, 'docs/two-column.png')?.text)).toContain('The ferry to Cobb Island Garden plots behind the');

    // Back to the setting the run began with: done again, and then nothing more.
    const back = await submit(dir, ['--psm', 'auto', '--json']);
    expect(JSON.parse(back.stdout.trim().split('\n').at(-1)!)).toMatchObject({ processed: 1, redone_for_settings: [{ change: 'psm block -> auto', documents: 1 }] });
    const same = await submit(dir, ['--psm', 'auto']);
    expect(same.stderr).toMatch(/\(processed 0, 2 already done\)/);
  }, 180_000);
});
