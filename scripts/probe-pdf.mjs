// Runs one PDF through pdf.js the way ocrq reads it (src/documents/pdf.ts): open with the same options, then for
// one page read its text, build its operator list and render it on a canvas from pdf.js's own canvas factory.
// Prints one line per step with its time and the process's memory, so a run under a heap cap or a time limit
// shows how far a file gets. Meant for hostile files: run it in its own process, never inside a test worker.
//
// How to run (after npm run build):   node --max-old-space-size=512 scripts/probe-pdf.mjs <file.pdf> [dpi=300] [page=1] [steps]
// steps: comma-separated subset of text,oplist,render (default all three, in that order).
import fs from 'node:fs';
import { documentParams, MAX_CANVAS_SIDE } from '../dist/documents/pdf.js';
import { DEFAULT_MAX_PIXELS } from '../dist/targets/local/engine.js';

const [file, dpiArg = '300', pageArg = '1', stepsArg = 'text,oplist,render'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/probe-pdf.mjs <file.pdf> [dpi] [page] [steps]');
  process.exit(2);
}
const dpi = Number(dpiArg);
const pageNumber = Number(pageArg);
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');

const started = performance.now();
let last = started;
function report(step, extra = {}) {
  const now = performance.now();
  const { rss, heapUsed } = process.memoryUsage();
  const line = { step, ms: Math.round(now - last), totalMs: Math.round(now - started), rssMiB: rss >> 20, heapMiB: heapUsed >> 20, ...extra };
  last = now;
  console.log(JSON.stringify(line));
}

const task = pdfjs.getDocument(documentParams(fs.readFileSync(file), DEFAULT_MAX_PIXELS));
try {
  const doc = await task.promise;
  report('open', { numPages: doc.numPages });
  const page = await doc.getPage(pageNumber);
  report('getPage');
  for (const step of stepsArg.split(',')) {
    try {
      if (step === 'text') {
        const content = await page.getTextContent();
        const text = content.items.map((item) => item.str ?? '').join(' ');
        report('text', { items: content.items.length, chars: text.length, sample: text.slice(0, 60) });
      } else if (step === 'oplist') {
        const { fnArray } = await page.getOperatorList();
        report('oplist', { ops: fnArray.length });
      } else if (step === 'render') {
        const viewport = page.getViewport({ scale: dpi / 72 });
        const width = Math.max(1, Math.round(viewport.width));
        const height = Math.max(1, Math.round(viewport.height));
        if (width * height > DEFAULT_MAX_PIXELS || width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE) {
          report('render', { skipped: `${width}x${height} is over ocrq's canvas limits` });
          continue;
        }
        const entry = doc.canvasFactory.create(width, height);
        await page.render({ canvas: entry.canvas, canvasContext: entry.context, viewport, background: 'white' }).promise;
        const data = entry.context.getImageData(0, 0, width, height).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
        doc.canvasFactory.destroy(entry);
        report('render', { width, height, darkPixels: dark });
      }
    } catch (err) {
      report(step, { error: `${err?.name}: ${err?.message}` });
    }
  }
} catch (err) {
  report('open', { error: `${err?.name}: ${err?.message}` });
} finally {
  await task.destroy();
}
