/**
 * With --rotate a skewed page is also straightened before it is read. It matters to Tesseract's layout analysis
 * (`--psm auto`): on test/scans/skewed-3-paragraph.png each long line falls by more than the line pitch, and read as
 * it is most of its lines are lost; reading the page as one block copes with the skew.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PageSegmentation } from '../../../src/config/keys.js';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { REPO_ROOT } from '../../helpers/tmp.js';

const SCANS = path.join(REPO_ROOT, 'test', 'scans');
const FILE = 'skewed-3-paragraph.png';
const truth = (JSON.parse(await readFile(path.join(SCANS, 'ground-truth.json'), 'utf8')) as Record<string, { text: string }>)[FILE].text;

async function read(psm: PageSegmentation, rotate: boolean) {
  const engine = await createLocalEngine({ workers: 1, lang: 'eng', dpi: 300, forceOcr: false, rotate, psm });
  try {
    const data = await readFile(path.join(SCANS, FILE));
    const outcome = await engine.process({ sha256: FILE.padEnd(64, '0'), type: 'png', data, source: FILE }, { signal: new AbortController().signal });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
    return (outcome.result as LocalResult).pages[0];
  } finally {
    await engine.close();
  }
}

describe('a page skewed by 3 degrees', () => {
  it('loses lines to layout analysis read as it is, and none once --rotate straightens it', { timeout: 120_000 }, async () => {
    const asIs = await read('auto', false);
    expect(characterErrorRate(asIs.text, truth), asIs.text).toBeGreaterThan(0.3);

    const straightened = await read('auto', true);
    expect(characterErrorRate(straightened.text, truth), straightened.text).toBeLessThan(MAX_CER);
    // Straightening is not a quarter turn: the page's recorded rotation stays 0.
    expect(straightened.rotation).toBe(0);
  });

  it('reads as one block of text without straightening', { timeout: 60_000 }, async () => {
    const page = await read('block', false);
    expect(characterErrorRate(page.text, truth), page.text).toBeLessThan(MAX_CER);
  });
});
