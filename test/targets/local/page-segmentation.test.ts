/**
 * Pages read with Tesseract's layout analysis (`--psm auto`, the default). A page of noise holds no text block, so it
 * reads as no text (and a blank page is never low confidence); an upside-down page reads as nonsense of low
 * confidence; a quarter turn one way is read right even without --rotate (Tesseract takes the lines for vertical
 * text), the other way is not. With --rotate every page of test/scans reads within the CER bound.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { DEFAULT_PSM } from '../../../src/targets/local/page-segmentation.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { REPO_ROOT } from '../../helpers/tmp.js';
import { drawNoise } from './make-image.js';

const SCANS = path.join(REPO_ROOT, 'test', 'scans');
const truth = JSON.parse(await readFile(path.join(SCANS, 'ground-truth.json'), 'utf8')) as Record<string, { text: string; turn: number }>;
let asIs: LocalEngine;
let upright: LocalEngine;

beforeAll(async () => {
  [asIs, upright] = await Promise.all([
    createLocalEngine({ workers: 1, lang: 'eng', dpi: 300, forceOcr: false }),
    createLocalEngine({ workers: 1, lang: 'eng', dpi: 300, forceOcr: false, rotate: true }),
  ]);
});
afterAll(() => Promise.all([asIs?.close(), upright?.close()]));

async function read(engine: LocalEngine, data: Buffer, source: string) {
  const outcome = await engine.process({ sha256: source.padEnd(64, '0'), type: source.endsWith('.pdf') ? 'pdf' : 'png', data, source }, { signal: new AbortController().signal });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
  return (outcome.result as LocalResult).pages[0];
}
const scan = (file: string) => readFile(path.join(SCANS, file));

describe('layout analysis, the default page segmentation', () => {
  it('is the default', () => {
    expect(DEFAULT_PSM).toBe('auto');
  });

  it('reads a page of noise as no text, which is not low confidence', { timeout: 60_000 }, async () => {
    const page = await read(asIs, drawNoise(300, 150, 0.3), 'noise.png');
    expect(page.text).toBe('');
    expect(page.low_confidence).toBeUndefined();
  });

  it('marks the nonsense read from an upside-down page as low confidence', { timeout: 60_000 }, async () => {
    const page = await read(asIs, await scan('turned-180.png'), 'turned-180.png');
    expect(characterErrorRate(page.text, truth['turned-180.png'].text)).toBeGreaterThan(0.5);
    expect(page.low_confidence).toBe(true);
  });

  it('reads a page turned 90 degrees clockwise without --rotate, but not one turned 270', { timeout: 60_000 }, async () => {
    const quarter = await read(asIs, await scan('turned-90.png'), 'turned-90.png');
    expect(characterErrorRate(quarter.text, truth['turned-90.png'].text), quarter.text).toBeLessThan(MAX_CER);
    expect(quarter.rotation).toBeUndefined();
    const threeQuarters = await read(asIs, await scan('turned-270.png'), 'turned-270.png');
    expect(characterErrorRate(threeQuarters.text, truth['turned-270.png'].text)).toBeGreaterThan(0.5);
  });

  it.each(Object.keys(truth))('with --rotate reads %s', { timeout: 60_000 }, async (file) => {
    const page = await read(upright, await scan(file), file);
    expect(characterErrorRate(page.text, truth[file].text), page.text).toBeLessThan(MAX_CER);
    expect(page.low_confidence).toBeUndefined();
  });
});
