/**
 * Pages over the pixel cap at the asked dpi are read at the highest dpi that fits, not below 72 dpi. A small cap
 * (4 megapixels) keeps the pages small enough to OCR quickly; the rule is the same at the default 50.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import type { TargetDocument } from '../../../src/targets/types.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { drawText } from './make-image.js';
import { buildPdf } from './make-pdf.js';

const MAX_PIXELS = 4_000_000;
let engine: LocalEngine;

beforeAll(async () => {
  engine = await createLocalEngine({ workers: 1, lang: 'eng', dpi: 300, forceOcr: false, maxPixels: MAX_PIXELS });
});
afterAll(() => engine?.close());

const doc = (data: Buffer, source: string): TargetDocument => ({ sha256: 'e'.repeat(64), type: 'pdf', data, source });
const process = (data: Buffer, source: string) => engine.process(doc(data, source), { signal: new AbortController().signal });

describe('pages over the pixel cap', () => {
  it('reads a 12 x 8 in page (8.6 MP at 300 dpi) at 204 dpi, and records that dpi on the page', async () => {
    const lines = ['Site plan 4471, north wing.', 'Drawn at full size on a large sheet.'];
    const drawn = drawText(lines);
    // The words are a picture (no text layer), 200 px to the inch, in the top left of the sheet.
    const [w, h] = [(drawn.width * 72) / 200, (drawn.height * 72) / 200];
    const pdf = buildPdf([{ size: [864, 576], jpeg: { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height }, place: [36, 540 - h, w, h] }]);
    const outcome = await process(pdf, 'plan.pdf');
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
    const result = outcome.result as LocalResult;
    expect(result.dpi).toBe(300);
    // 864 x 576 pt at 204 dpi: 2448 x 1632 = 4.0 MP.
    expect(result.pages[0]).toMatchObject({ page: 1, source: 'ocr', dpi: 204 });
    expect(characterErrorRate(result.pages[0].text, lines.join('\n')), result.pages[0].text).toBeLessThan(MAX_CER);
  });

  it('fails a page too large even at 72 dpi, and a reduced page whose own image is over the cap', async () => {
    const tooLarge = await process(buildPdf([{ size: [2880, 2880] }]), 'poster.pdf');
    expect(tooLarge).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED', reason: 'pixels', message: expect.stringContaining('poster.pdf: page 1 is 12000x12000 pixels at 300 dpi and still 2880x2880 at 72 dpi') },
    });
    // A 12 x 8 in scan at 217 dpi: 2600 x 1734 = 4.5 MP, an image pdf.js does not decode under a 4 MP cap.
    const scan = drawText(['Scanned at 217 dpi.'], 2600, 867);
    const pdf = buildPdf([{ size: [864, 576], jpeg: { data: scan.encode('jpeg'), width: scan.width, height: scan.height } }]);
    expect(await process(pdf, 'big-scan.pdf')).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED', reason: 'pixels', message: expect.stringContaining('big-scan.pdf: page 1 is over the limit of 4000000 pixels at 300 dpi, and an image on it is over the limit too') },
    });
  });
});
