import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { defaultLangPath } from '../../../src/isolate/ocr/lang-data.js';

const fixtures = new URL('../../../fixtures/', import.meta.url);
const groundTruth = JSON.parse(await readFile(new URL('ground-truth.json', fixtures), 'utf8')) as Record<
  string,
  { pages: string[] }
>;

let langDir: string;
let engine: LocalEngine;

beforeAll(async () => {
  // Plain (not gzipped) traineddata in a --lang-path directory, as downloaded from tessdata_best.
  langDir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-lang-'));
  const gz = await readFile(path.join(defaultLangPath(), 'eng.traineddata.gz'));
  await writeFile(path.join(langDir, 'eng.traineddata'), gunzipSync(gz));
  engine = await createLocalEngine({ workers: 1, lang: 'eng', langPath: langDir, dpi: 200, forceOcr: true });
});
afterAll(async () => {
  await engine?.close();
  if (langDir) await rm(langDir, { recursive: true, force: true });
});

describe('createLocalEngine options', () => {
  it('OCRs text-layer pages too with forceOcr, using plain traineddata from --lang-path', async () => {
    const before = engine.stats.recognized;
    const data = await readFile(new URL('pdfs/born-digital.pdf', fixtures));
    const outcome = await engine.process(
      { sha256: 'a'.repeat(64), type: 'pdf', data, source: 'born-digital.pdf' },
      { signal: new AbortController().signal },
    );
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
    const result = outcome.result as LocalResult;
    expect(result).toMatchObject({ engine: 'tesseract.js', lang: 'eng', dpi: 200 });
    expect(result.pages.map((p) => p.source)).toEqual(['ocr', 'ocr']);
    result.pages.forEach((p, i) => {
      expect(characterErrorRate(p.text, groundTruth['pdfs/born-digital.pdf'].pages[i])).toBeLessThan(0.05);
    });
    expect(engine.stats.recognized - before).toBe(2);
    expect(engine.stats.textLayerPages).toBe(0);
    expect(engine.workers).toBe(1);
  });

  it('refuses a missing language before starting any worker, naming it and the directory', async () => {
    const err = await createLocalEngine({ workers: 1, lang: 'eng+deu', langPath: langDir, dpi: 300, forceOcr: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`language data for 'deu' not found in ${langDir} or in the package @tesseract.js-data/deu`);
  });

  it('refuses a missing --lang-path directory', async () => {
    const missing = path.join(langDir, 'nope');
    const err = await createLocalEngine({ workers: 1, lang: 'eng', langPath: missing, dpi: 300, forceOcr: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`--lang-path ${missing}: no such folder`);
  });
});
