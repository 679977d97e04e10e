// Cost of orientation detection (Tesseract OSD, legacy engine, `@tesseract.js-data/osd`) on upright pages, against
// the OCR of the same page, in one process with one OCR worker and one OSD worker, as a document worker runs them.
// Pages: US-letter prose rendered at 300 dpi (2550 x 3300, as PDF pages are OCRed), and the fixtures' small scanned
// pages (6 x 4 in, 1800 x 1200). Each page is recognized and detected once per round, alternating; figures are the
// median of the rounds per page; a page OSD would turn is named. Also the time to measure the slope of its lines on
// the OSD engine, which --rotate adds with --engine native. Run after `npm run build`:
//   node bench/osd.mjs [--rounds N] [--pages N]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { letterLines, renderLetterCanvas, SCAN_DPI } from './lib/ocr-corpus.mjs';
import { renderText } from '../scripts/lib/text-canvas.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { encodePgm, rgbaToGray } = await import(path.join(root, 'dist/documents/pdf.js'));
const { resolveLangData } = await import(path.join(root, 'dist/isolate/ocr/lang-data.js'));
const { startWorker, startOsdWorker } = await import(path.join(root, 'dist/isolate/ocr/worker.js'));
const { detectSkew } = await import(path.join(root, 'dist/isolate/ocr/orientation.js'));
const { DEFAULT_PSM, pageSegmentationParameters } = await import(path.join(root, 'dist/targets/local/page-segmentation.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('--rounds', 3);
const PAGES = arg('--pages', 3);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const pgmOf = (canvas) => {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  return encodePgm({ width: canvas.width, height: canvas.height, pixels: rgbaToGray(data) });
};

const pages = [
  ...Array.from({ length: PAGES }, (_, i) => ({ name: `letter ${i + 1} (2550x3300)`, image: pgmOf(renderLetterCanvas(letterLines(i))) })),
  ...Array.from({ length: PAGES }, (_, i) => ({
    name: `small ${i + 1} (1800x1200)`,
    image: pgmOf(renderText({ width: 1800, height: 1200, fontSize: 75, margin: 150, lines: letterLines(i).slice(0, 3).map((l) => l.slice(0, 30)) })),
  })),
];

const lang = await resolveLangData('eng');
const ocr = await startWorker(lang);
const osd = await startOsdWorker();
// OCR as a run reads pages by default: its page segmentation (--psm) at the pages' dpi.
const params = { ...pageSegmentationParameters(DEFAULT_PSM), user_defined_dpi: String(SCAN_DPI) };
// Warm both workers once: the first call of each pays for setting up the engine.
await ocr.recognize(pages[0].image, params, { text: true });
await osd.detect(pages[0].image);

const times = pages.map(() => ({ ocr: [], osd: [], skew: [] }));
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, page] of pages.entries()) {
    let t = performance.now();
    await ocr.recognize(page.image, params, { text: true });
    times[i].ocr.push(performance.now() - t);
    t = performance.now();
    const { data } = await osd.detect(page.image);
    times[i].osd.push(performance.now() - t);
    // With --engine native, the slope of the lines is measured on the OSD engine too (the embedded engine measures it
    // as it reads the page).
    t = performance.now();
    await detectSkew(osd, page.image);
    times[i].skew.push(performance.now() - t);
    if (data.orientation_degrees !== 0) console.log(`  ${page.name}: OSD says ${data.orientation_degrees} (confidence ${data.orientation_confidence?.toFixed(2)})`);
  }
}
await Promise.all([ocr.terminate(), osd.terminate()]);

console.log(`OSD cost on upright pages, median of ${ROUNDS} rounds (ms); OCR with --psm ${DEFAULT_PSM}`);
console.log('page                         OCR ms   OSD ms   OSD/OCR   skew ms (native --rotate)');
for (const [i, page] of pages.entries()) {
  const o = median(times[i].ocr);
  const d = median(times[i].osd);
  const k = median(times[i].skew);
  console.log(`${page.name.padEnd(28)} ${o.toFixed(0).padStart(6)}   ${d.toFixed(0).padStart(6)}   ${((100 * d) / o).toFixed(1).padStart(5)} %   ${k.toFixed(0).padStart(6)}`);
}
