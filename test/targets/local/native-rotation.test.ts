/**
 * `--rotate` with `--engine native`: the document worker detects each page's orientation and measures its slope with
 * the embedded OSD engine, turns and straightens the pixels, and hands the page to the system's tesseract. The pages
 * of test/scans (one page of text turned every way and skewed 3 degrees either way) must each read within the CER
 * bound, with the turn recorded as the embedded engine records it. Skipped, with the reason in the name, where
 * tesseract is not installed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { systemTesseract } from '../../helpers/system-tesseract.js';
import { REPO_ROOT } from '../../helpers/tmp.js';

const SCANS = path.join(REPO_ROOT, 'test', 'scans');
const truth = JSON.parse(await readFile(path.join(SCANS, 'ground-truth.json'), 'utf8')) as Record<string, { text: string; turn: number }>;
const tesseract = systemTesseract();
let upright: LocalEngine;
let asIs: LocalEngine;

async function read(engine: LocalEngine, file: string) {
  const data = await readFile(path.join(SCANS, file));
  const outcome = await engine.process({ sha256: file.padEnd(64, '0'), type: file.endsWith('.pdf') ? 'pdf' : 'png', data, source: file }, { signal: new AbortController().signal });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
  expect(outcome.result).toMatchObject({ engine: 'tesseract', engine_version: tesseract.version });
  return (outcome.result as LocalResult).pages[0];
}

describe.skipIf(!tesseract.usable)(`--rotate with --engine native${tesseract.usable ? '' : ` (skipped: ${tesseract.reason})`}`, () => {
  beforeAll(async () => {
    [upright, asIs] = await Promise.all([
      createLocalEngine({ ocrEngine: 'native', workers: 1, lang: 'eng', dpi: 300, forceOcr: false, rotate: true }),
      createLocalEngine({ ocrEngine: 'native', workers: 1, lang: 'eng', dpi: 300, forceOcr: false }),
    ]);
  }, 60_000);
  afterAll(() => Promise.all([upright?.close(), asIs?.close()]));

  it.each(Object.entries(truth))('reads %s', { timeout: 60_000 }, async (file, { text, turn }) => {
    const page = await read(upright, file);
    expect(characterErrorRate(page.text, text), page.text).toBeLessThan(MAX_CER);
    expect(page.rotation).toBe(turn % 90 === 0 ? (360 - turn) % 360 : 0);
    expect(page.low_confidence).toBeUndefined();
  });

  it('straightens a page whose lines fall by more than their pitch, which tesseract alone reads in part', { timeout: 60_000 }, async () => {
    const file = 'skewed-3-paragraph.png';
    const alone = await read(asIs, file);
    expect(characterErrorRate(alone.text, truth[file].text)).toBeGreaterThan(MAX_CER);
    expect(alone.rotation).toBeUndefined();
    const straightened = await read(upright, file);
    expect(characterErrorRate(straightened.text, truth[file].text), straightened.text).toBeLessThan(MAX_CER);
  });
});
