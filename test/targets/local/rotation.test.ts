/**
 * With rotation on, each OCRed page's orientation is detected (Tesseract OSD) and the page is turned upright before
 * it is read. The fixtures in test/scans (scripts/make-scan-fixtures.mjs) are one page of text turned every way
 * and skewed by 3 degrees either way: each must read within the CER bound of the upright fixtures. Pages are read as
 * one block of text (`--psm block`), which makes text of a page of noise; test/targets/local/page-segmentation.test.ts
 * reads them with layout analysis, the default.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { REPO_ROOT } from '../../helpers/tmp.js';
import { drawNoise } from './make-image.js';

const SCANS = path.join(REPO_ROOT, 'test', 'scans');
const truth = JSON.parse(await readFile(path.join(SCANS, 'ground-truth.json'), 'utf8')) as Record<string, { text: string; turn: number }>;
let engine: LocalEngine;

beforeAll(async () => {
  engine = await createLocalEngine({ workers: 2, lang: 'eng', dpi: 300, forceOcr: false, rotate: true, psm: 'block' });
});
afterAll(() => engine?.close());

async function read(data: Buffer, source: string) {
  const outcome = await engine.process({ sha256: source.padEnd(64, '0'), type: source.endsWith('.pdf') ? 'pdf' : 'png', data, source }, { signal: new AbortController().signal });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
  return (outcome.result as LocalResult).pages[0];
}

describe('pages turned upright before they are read', () => {
  it.each(Object.entries(truth))('%s', async (file, { text, turn }) => {
    const page = await read(await readFile(path.join(SCANS, file)), file);
    expect(characterErrorRate(page.text, text), page.text).toBeLessThan(MAX_CER);
    // A quarter or half turn is undone by the opposite one; a 3-degree skew is left to the engine, which reads it.
    expect(page.rotation).toBe(turn % 90 === 0 ? (360 - turn) % 360 : 0);
    expect(page.low_confidence).toBeUndefined();
  });

  it('leaves a page it cannot tell the orientation of as it is', async () => {
    const page = await read(drawNoise(300, 150, 0.3), 'noise.png');
    expect(page.rotation).toBe(0);
    expect(page.low_confidence).toBe(true);
  });
});
