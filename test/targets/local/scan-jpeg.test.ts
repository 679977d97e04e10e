/**
 * With `--engine native`, a scanned page whose one image is a JPEG covering it at the engine's dpi goes to tesseract
 * as those bytes (src/documents/scan-jpeg.ts); pages that must not (turned, masked, not covered by the image) are read
 * from pixels, and so is every page with the embedded engine. Either way the text must be right. `--engine native`
 * only where tesseract is installed (skipped otherwise, with the reason in the name).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import { MAX_CER } from '../../helpers/ground-truth.js';
import { systemTesseract } from '../../helpers/system-tesseract.js';
import { drawText, encodeRgba } from './make-image.js';
import { buildPdf, type PdfPageSpec } from './make-pdf.js';

const LINES = ['Invoice 7731 from Harbor Supplies', 'Total due 418 dollars'];
// 1800 x 1200 px over 6 x 4 in: a 300 dpi scan, the engines' dpi.
const drawn = drawText(LINES, 1800, 400);
const jpeg = { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height };

/** The same scan stored turned a quarter counter-clockwise, for a page whose /Rotate 90 shows it upright. */
function sidewaysJpeg(): PdfPageSpec['jpeg'] {
  const { width, height, rgba } = drawn;
  const turned = new Uint8ClampedArray(rgba.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const to = ((width - 1 - x) * height + y) * 4;
      turned.set(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4), to);
    }
  }
  return { data: encodeRgba(height, width, turned, 'jpeg'), width: height, height: width };
}

const tesseract = systemTesseract();
const engines = [
  { name: 'the embedded engine', native: false, usable: true, reason: '', jpegPages: 0 },
  { name: '--engine native', native: true, usable: tesseract.usable, reason: tesseract.reason, jpegPages: 1 },
];

describe.each(engines)('scanned pages read by $name', ({ name, native, usable, reason, jpegPages }) => {
  let engine: LocalEngine;
  beforeAll(async () => {
    if (!usable) return;
    engine = await createLocalEngine({ ...(native ? { ocrEngine: 'native' as const } : {}), workers: 1, lang: 'eng', dpi: 300, forceOcr: false });
  }, 60_000);
  afterAll(() => engine?.close());

  async function read(pages: PdfPageSpec[]): Promise<{ text: string; fromJpeg: number }> {
    const before = engine.stats.scanJpegPages;
    const data = buildPdf(pages);
    const outcome = await engine.process({ sha256: 'e'.repeat(64), type: 'pdf', data, source: 'scan.pdf' }, { signal: new AbortController().signal });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
    const [page] = (outcome.result as LocalResult).pages;
    expect(page.source).toBe('ocr');
    return { text: page.text, fromJpeg: engine.stats.scanJpegPages - before };
  }

  it.skipIf(!usable)(`reads a scan covering its page ${jpegPages ? 'from its JPEG' : 'from its pixels'}${usable ? '' : ` (skipped: ${reason})`}`, async () => {
    const scanned = engine.stats.scannedImagePages;
    const { text, fromJpeg } = await read([{ jpeg, size: [432, 288] }]);
    expect(characterErrorRate(text, LINES.join('\n')), text).toBeLessThan(MAX_CER);
    expect(fromJpeg, name).toBe(jpegPages);
    expect(engine.stats.scannedImagePages).toBe(scanned + 1);
  });

  it.skipIf(!usable)(`reads a scan whose JPEG is cut after its headers or has a broken Huffman table as a blank page${usable ? '' : ` (skipped: ${reason})`}`, async () => {
    const sos = jpeg.data.indexOf(Buffer.from([0xff, 0xda]));
    const brokenTable = Buffer.from(jpeg.data);
    const dht = brokenTable.indexOf(Buffer.from([0xff, 0xc4]));
    brokenTable.fill(0xff, dht + 5, dht + 21);
    for (const [what, data] of [['cut', jpeg.data.subarray(0, sos)], ['broken table', brokenTable]] as const) {
      const { text } = await read([{ jpeg: { ...jpeg, data }, size: [432, 288] }]);
      expect(text, what).toBe('');
    }
  });

  it.skipIf(!usable)(`reads turned, masked and partly covered scans from their pixels${usable ? '' : ` (skipped: ${reason})`}`, async () => {
    const cases: Array<[string, PdfPageSpec]> = [
      ['masked', { jpeg, size: [432, 288], softMask: true }],
      ['not covering the page', { jpeg, size: [504, 360], place: [36, 36, 432, 288] }],
      ['turned by the page', { jpeg: sidewaysJpeg(), size: [288, 432], rotate: 90 }],
    ];
    for (const [what, page] of cases) {
      const { text, fromJpeg } = await read([page]);
      expect(characterErrorRate(text, LINES.join('\n')), `${what}: ${text}`).toBeLessThan(MAX_CER);
      expect(fromJpeg, what).toBe(0);
    }
  });
});
