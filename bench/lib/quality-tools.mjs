// The other tools of the quality benchmark: native `tesseract` as a user runs it (its automatic layout analysis, the
// same traineddata as ocrq) and OCRmyPDF (`--sidecar` text, with and without `--rotate-pages --deskew`), on the very
// pages ocrq reads; plus the error measures and the confidence threshold search.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildPdf } from '../../scripts/lib/pdf-documents.mjs';
import { createCanvas, readGray } from '../../scripts/lib/text-canvas.mjs';
import { normaliseText } from './ocr-measure.mjs';
import { renderPdfToPngs, runLimited, runProcess } from './ocr-tools.mjs';

const require = createRequire(import.meta.url);

/** Adds Tesseract's orientation model (the one ocrq's --rotate uses) to a tessdata folder, for --rotate-pages. */
export function addOsdModel(tessdataDir) {
  const target = path.join(tessdataDir, 'osd.traineddata');
  if (!existsSync(target)) {
    const pkg = path.dirname(require.resolve('@tesseract.js-data/osd/package.json'));
    writeFileSync(target, gunzipSync(readFileSync(path.join(pkg, '4.0.0', 'osd.traineddata.gz'))));
  }
  return target;
}

/** Native tesseract, as run from a shell: automatic page segmentation (its default), LSTM, ocrq's traineddata. */
export function nativeArgs(image, outBase, tessdata) {
  return [image, outBase, '--tessdata-dir', tessdata, '-l', 'eng', '--oem', '1'];
}

/**
 * Native tesseract over `pages` ({ image } each), `workers` processes at a time, one thread each. Returns each page's
 * text (null when tesseract failed on it) and the wall time.
 */
export async function runNative(pages, workers, tessdata) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-quality-native-'));
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  try {
    const started = performance.now();
    const results = await runLimited(
      pages.map((page, i) => async () => {
        const r = await runProcess('tesseract', nativeArgs(page.image, path.join(dir, `p${i}`), tessdata), { env });
        return r.code === 0 ? readFile(path.join(dir, `p${i}.txt`), 'utf8') : null;
      }),
      workers,
    );
    return { texts: results, wallMs: performance.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The native side's images: image files as they are (leptonica reads every format ocrq takes), PDF pages rendered at
 * 300 dpi once (pdftoppm, else pdf.js). `files`: [{ path, pages }] → Map path → [png per page].
 */
export async function nativeImages(files, renderDir) {
  const out = new Map();
  for (const file of files) {
    if (!file.path.endsWith('.pdf')) {
      out.set(file.path, [file.path]);
      continue;
    }
    const prefix = path.join(renderDir, path.basename(file.path, '.pdf'));
    const rendered = await renderPdfToPngs(file.path, prefix, 300);
    out.set(file.path, rendered.files);
  }
  return out;
}

/**
 * What OCRmyPDF is given for a file: a PDF as it is; a TIFF as it is with `--image-dpi`; any other image as a
 * one-page PDF holding its grey pixels losslessly at `dpi` (OCRmyPDF's image import refuses alpha channels, which
 * the generated PNGs have).
 */
export async function ocrmypdfInput(file, dpi, dir) {
  if (file.endsWith('.pdf')) return { input: file, args: [] };
  if (/\.tiff?$/u.test(file)) return { input: file, args: ['--image-dpi', String(dpi)] };
  const { loadImage } = createRequire(require.resolve('pdfjs-dist/package.json'))('@napi-rs/canvas');
  const image = await loadImage(readFileSync(file));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, image.width, image.height);
  ctx.drawImage(image, 0, 0);
  const target = path.join(dir, `${path.basename(path.dirname(file))}-${path.basename(file)}.pdf`);
  mkdirSync(dir, { recursive: true });
  const page = { width: (image.width * 72) / dpi, height: (image.height * 72) / dpi, margin: 0, fontSize: 12 };
  writeFileSync(target, buildPdf({ name: target, title: path.basename(file), page, pages: [{ gray: readGray(canvas) }] }));
  return { input: target, args: [] };
}

export const OCRMYPDF_CONFIGS = {
  plain: [],
  straighten: ['--rotate-pages', '--deskew'],
};

export function ocrmypdfArgs(input, sidecar, extra) {
  return ['--skip-text', '--output-type', 'none', '--sidecar', sidecar, '-j', '1', '--tesseract-oem', '1', '-q', ...extra, input, '-'];
}

/**
 * OCRmyPDF over `inputs` ({ input, args }), `workers` files at a time with one job each. Returns each file's pages'
 * texts (split on form feeds; null when OCRmyPDF failed on it, with the reason in `errors`) and the wall time.
 */
export async function runOcrmypdf(inputs, workers, tessdata, extra) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-quality-ocrmypdf-'));
  const env = { ...process.env, TESSDATA_PREFIX: tessdata, OMP_THREAD_LIMIT: '1' };
  const errors = [];
  try {
    const started = performance.now();
    const texts = await runLimited(
      inputs.map(({ input, args }, i) => async () => {
        const sidecar = path.join(dir, `f${i}.txt`);
        const r = await runProcess('ocrmypdf', ocrmypdfArgs(input, sidecar, [...args, ...extra]), { env });
        if (r.code !== 0) {
          errors.push(`${path.basename(input)}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
          return null;
        }
        return (await readFile(sidecar, 'utf8')).split('\f');
      }),
      workers,
    );
    return { texts, errors, wallMs: performance.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The engine's own time per page for two sets of Tesseract parameters, measured in this process with ocrq's worker
 * (`dist/isolate/ocr/worker.js`) and its language data: `workers` engines, each reading its share of `images`
 * with `a` and with `b` back to back (which goes first alternates from page to page), so that each pair meets the
 * same neighbours on a shared machine. Returns the milliseconds of every read, by set.
 */
export async function timeEngineParameters(images, { a, b }, workers, repo) {
  const { resolveLangData, disposeLangData } = await import(pathToFileURL(path.join(repo, 'dist/isolate/ocr/lang-data.js')).href);
  const { startWorker } = await import(pathToFileURL(path.join(repo, 'dist/isolate/ocr/worker.js')).href);
  const lang = await resolveLangData('eng');
  const engines = await Promise.all(Array.from({ length: Math.min(workers, images.length) }, () => startWorker(lang)));
  const ms = { a: [], b: [] };
  try {
    // Warm each engine once: its first page pays for setting it up.
    await Promise.all(engines.map((e) => e.recognize(images[0], b, { text: true })));
    let next = 0;
    await Promise.all(engines.map(async (engine) => {
      while (next < images.length) {
        const i = next++;
        for (const set of i % 2 ? ['b', 'a'] : ['a', 'b']) {
          const started = performance.now();
          await engine.recognize(images[i], set === 'a' ? a : b, { text: true });
          ms[set].push(performance.now() - started);
        }
      }
    }));
  } finally {
    await Promise.all(engines.map((e) => e.terminate()));
    await disposeLangData(lang);
  }
  return ms;
}

/**
 * Share of the reference's words missing from the hypothesis, order ignored (each word counted as often as it
 * occurs): what is lost, as opposed to what is read out of order.
 */
export function missedWords(reference, hypothesis) {
  const words = (text) => normaliseText(text).split(' ').filter(Boolean);
  const ref = words(reference);
  if (ref.length === 0) return 0;
  const have = new Map();
  for (const w of words(hypothesis)) have.set(w, (have.get(w) ?? 0) + 1);
  let missed = 0;
  for (const w of ref) {
    const n = have.get(w) ?? 0;
    if (n > 0) have.set(w, n - 1);
    else missed++;
  }
  return missed / ref.length;
}

/** Share of the hypothesis's words that are not in the reference: what was made up or misread, order ignored. */
export function wrongWords(reference, hypothesis) {
  return missedWords(hypothesis, reference);
}

/**
 * The `--min-confidence` threshold the pages argue for. `good`: confidences of pages read well (they must not be
 * marked); `bad`: confidences of pages read badly or of non-text read as text (they should be). For each threshold
 * from 5 to 95 in steps of 5: good pages it would mark and bad pages it would miss. The best are those with the
 * fewest errors; `current` is kept when it is among them, else the middle of the best range.
 */
export function chooseThreshold(good, bad, current) {
  const table = [];
  for (let t = 5; t <= 95; t += 5) {
    const falseMarks = good.filter((c) => c < t).length;
    const missed = bad.filter((c) => c >= t).length;
    table.push({ threshold: t, falseMarks, missed, errors: falseMarks + missed });
  }
  const fewest = Math.min(...table.map((r) => r.errors));
  const best = table.filter((r) => r.errors === fewest).map((r) => r.threshold);
  const chosen = best.includes(current) ? current : best[Math.floor((best.length - 1) / 2)];
  return { table, fewest, best, chosen };
}
