/**
 * `--psm auto|block` (OCRQ_PSM, defaults.psm) chooses how the engine finds the text on a page: Tesseract's layout
 * analysis reads a two-column page down each column and finds the values a form writes in boxes; one block of text
 * reads straight across both columns and loses the boxed values. Fixtures: test/layout (scripts/make-layout-fixtures.mjs).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../src/targets/local/cer.js';
import { DEFAULT_PSM } from '../../src/targets/local/page-segmentation.js';
import { MAX_CER } from '../helpers/ground-truth.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { systemTesseract } from '../helpers/system-tesseract.js';
import { makeTempDir, REPO_ROOT } from '../helpers/tmp.js';

const LAYOUT = path.join(REPO_ROOT, 'test', 'layout');
const truth = JSON.parse(await fs.readFile(path.join(LAYOUT, 'ground-truth.json'), 'utf8')) as Record<string, { text: string; across?: string }>;
const FORM_VALUES = ['Castillo', '36 Mill Lane', 'Westbury', 'Volvo', 'Blue'];
const tesseract = systemTesseract();

async function setUp(files: string[]): Promise<string> {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'in'));
  for (const file of files) await fs.copyFile(path.join(LAYOUT, file), path.join(dir, 'in', file));
  return dir;
}

/** Runs submit in `dir` and returns each file's text. */
async function read(dir: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  const r = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '1', '-q', '--force', ...extra], {
    cwd: dir,
    env: { OCRQ_CONFIG_DIR: path.join(dir, 'config'), ...env },
  }).exited;
  expect(r.code, r.stderr).toBe(0);
  const rows = (await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const texts: Record<string, string> = {};
  for (const row of rows) if (row.status === 'completed') texts[path.basename(row.source as string)] = row.text as string;
  return texts;
}

const readsColumns = (text: string) => characterErrorRate(text, truth['two-column.png'].text) < MAX_CER;
const readsAcross = (text: string) => text.includes(truth['two-column.png'].across!);

describe('--psm', () => {
  it('auto reads a page column by column and finds boxed form values; block reads straight across and loses them', { timeout: 120_000 }, async () => {
    const dir = await setUp(['two-column.png', 'form.png']);
    const auto = await read(dir, ['--psm', 'auto']);
    expect(characterErrorRate(auto['two-column.png'], truth['two-column.png'].text), auto['two-column.png']).toBeLessThan(MAX_CER);
    expect(readsAcross(auto['two-column.png'])).toBe(false);
    for (const value of FORM_VALUES) expect(auto['form.png']).toContain(value);

    const block = await read(dir, ['--psm', 'block']);
    expect(readsAcross(block['two-column.png']), block['two-column.png']).toBe(true);
    expect(characterErrorRate(block['two-column.png'], truth['two-column.png'].text)).toBeGreaterThan(0.3);
    expect(block['form.png']).toContain('Parking permit application');
    expect(FORM_VALUES.filter((value) => block['form.png'].includes(value))).toEqual([]);
  });

  it.skipIf(!tesseract.usable)(
    `applies to --engine native too: the system's tesseract reads columns and boxed values with auto, across with block${tesseract.usable ? '' : ` (skipped: ${tesseract.reason})`}`,
    { timeout: 120_000 },
    async () => {
      const dir = await setUp(['two-column.png', 'form.png']);
      const auto = await read(dir, ['--engine', 'native', '--psm', 'auto']);
      expect(characterErrorRate(auto['two-column.png'], truth['two-column.png'].text), auto['two-column.png']).toBeLessThan(MAX_CER);
      expect(readsAcross(auto['two-column.png'])).toBe(false);
      for (const value of FORM_VALUES) expect(auto['form.png']).toContain(value);

      const block = await read(dir, ['--engine', 'native', '--psm', 'block']);
      expect(readsAcross(block['two-column.png']), block['two-column.png']).toBe(true);
      expect(characterErrorRate(block['two-column.png'], truth['two-column.png'].text)).toBeGreaterThan(0.3);
      expect(block['form.png']).toContain('Parking permit application');
      expect(FORM_VALUES.filter((value) => block['form.png'].includes(value))).toEqual([]);

      // The default is the same for both engines.
      const byDefault = await read(dir, ['--engine', 'native']);
      expect(byDefault['two-column.png']).toBe((DEFAULT_PSM === 'auto' ? auto : block)['two-column.png']);
    },
  );

  it(`is ${DEFAULT_PSM} by default; OCRQ_PSM and defaults.psm set it, and the flag wins`, { timeout: 180_000 }, async () => {
    const dir = await setUp(['two-column.png']);
    const byDefault = (await read(dir, []))['two-column.png'];
    expect(DEFAULT_PSM === 'auto' ? readsColumns(byDefault) : readsAcross(byDefault), byDefault).toBe(true);

    expect(readsAcross((await read(dir, [], { OCRQ_PSM: 'block' }))['two-column.png'])).toBe(true);
    expect(readsColumns((await read(dir, ['--psm', 'auto'], { OCRQ_PSM: 'block' }))['two-column.png'])).toBe(true);

    await fs.mkdir(path.join(dir, 'config'));
    await fs.writeFile(path.join(dir, 'config', 'config.json'), JSON.stringify({ defaults: { psm: 'block' } }));
    expect(readsAcross((await read(dir, []))['two-column.png'])).toBe(true);

    const bad = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl'], { cwd: dir, env: { OCRQ_CONFIG_DIR: path.join(dir, 'config'), OCRQ_PSM: 'columns' } }).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('OCRQ_PSM');
    expect(bad.stderr).toContain('expected auto or block');
  });
});
