import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { fold, readRows } from '../helpers/manifest.js';
import { makeTempDir } from '../helpers/tmp.js';
// @ts-expect-error -- fixture helper written in plain JavaScript
import { renderText } from '../../scripts/lib/text-canvas.mjs';

const require = createRequire(import.meta.url);
const packageData = (lang: string) => path.join(path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)), '4.0.0_best_int', `${lang}.traineddata.gz`);

const FRENCH = ['Le garçon a mangé une crêpe à la fraise.', 'Où est la bibliothèque? Très bien, merci.'];

/** A folder `docs/` holding one French page as PNG. */
async function frenchCorpus(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'docs'));
  const canvas = (renderText as (o: object) => { toBuffer(mime: string): Buffer })({ width: 1100, height: 220, fontSize: 40, lines: FRENCH });
  await fs.writeFile(path.join(dir, 'docs/lettre.png'), canvas.toBuffer('image/png'));
}

async function textOf(manifest: string): Promise<string> {
  const [row] = [...fold(await readRows(manifest)).values()];
  expect(row.status).toBe('completed');
  return String(row.text);
}

describe('languages beyond English (spawned ocrq)', () => {
  it('--lang eng+fra finds @tesseract.js-data/fra without --lang-path and reads accents', async () => {
    const dir = await makeTempDir();
    await frenchCorpus(dir);
    const r = await spawnOcrq(['submit', 'docs', '--lang', 'eng+fra', '--workers', '1', '-q'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    const text = await textOf(path.join(dir, 'ocrq-manifest.jsonl'));
    for (const word of ['garçon', 'mangé', 'crêpe', 'bibliothèque', 'Très']) expect(text).toContain(word);
  }, 120_000);

  it('several --lang-path folders, plain and gzipped, are read together and leave no scratch folder behind', async () => {
    const dir = await makeTempDir();
    await frenchCorpus(dir);
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const tmp = path.join(dir, 'tmp');
    await Promise.all([fs.mkdir(a), fs.mkdir(b), fs.mkdir(tmp)]);
    await fs.copyFile(packageData('eng'), path.join(a, 'eng.traineddata.gz'));
    await fs.writeFile(path.join(b, 'fra.traineddata'), gunzipSync(await fs.readFile(packageData('fra'))));
    const env = { ...process.env, TMPDIR: tmp };
    const r = await spawnOcrq(['submit', 'docs', '--lang', 'fra+eng', '--lang-path', a, '--lang-path', b, '--workers', '1', '-q'], { cwd: dir, env }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(await textOf(path.join(dir, 'ocrq-manifest.jsonl'))).toContain('crêpe');
    expect((await fs.readdir(tmp)).filter((n) => n.startsWith('ocrq-lang-'))).toEqual([]);
  }, 120_000);

  it('a missing language is exit 2 before any work, naming the package to install', async () => {
    const dir = await makeTempDir();
    await frenchCorpus(dir);
    const r = await spawnOcrq(['submit', 'docs', '--lang', 'eng+xyz'], { cwd: dir }).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ocrq: error: language data for 'xyz' not found: the package @tesseract.js-data/xyz is not installed");
    expect(r.stderr).toContain('npm install @tesseract.js-data/xyz');
    await expect(fs.access(path.join(dir, 'ocrq-manifest.jsonl'))).rejects.toThrow();
  });
});
