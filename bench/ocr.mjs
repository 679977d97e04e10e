// Local OCR throughput: `ocrq submit --engine local --workers N` against N parallel native `tesseract` processes
// (Debian tesseract-ocr, installed when missing) over the same page images with the same traineddata, plus the
// text-layer fast path against --force-ocr on born-digital pages. Run after `npm run build`:
//   node bench/ocr.mjs [--quick]
// Corpus (bench/.corpus/ocr-*, generated deterministically): US-letter pages at 300 dpi as PNG images and as
// image-only PDFs; PDF pages are rendered to PNG once for the native side (pdftoppm, else pdf.js), outside its
// timing. Runs alternate ocrq, native, ocrq, native...; figures are medians.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratioFields, ratioStats } from './lib/stats.mjs';
import { DOCS_DIR, ensureCorpus, letterCorpusSpec, SCAN_DPI } from './lib/ocr-corpus.mjs';
import {
  cer, checkBuild, CORPUS_ROOT, median, pagesBySource, round, runOcrq, summarizeCpuProfiles, withCpuAccounting,
} from './lib/ocr-measure.mjs';
import { ensureDebianTool, prepareTessdata, renderPdfToPngs, runLimited, runProcess, toolVersion } from './lib/ocr-tools.mjs';

export const name = 'ocr';
export const description =
  'Local OCR pages/s: ocrq (tesseract.js pool) vs N parallel native tesseract processes, same pages and traineddata; text layer vs --force-ocr';

/** ocrq must reach this share of the native pages/s. */
export const TARGET_RATIO = 0.9;

const SIZES = {
  // 3 rounds each way, alternating ocrq and native tesseract; --quick keeps its cost with fewer pages.
  quick: { images: 2, scanned: [2], born: [2], rounds: 3 },
  full: { images: 16, scanned: [3, 3, 3, 3, 2], born: [4, 4, 4], rounds: 3 },
};


/** Native tesseract with ocrq's settings: LSTM only, the bundled best_int model, layout analysis (--psm 3, ocrq's default --psm auto), 300 dpi. */
function tesseractArgs(png, outBase, tessdata) {
  return [png, outBase, '--tessdata-dir', tessdata, '-l', 'eng', '--oem', '1', '--psm', '3', '--dpi', String(SCAN_DPI)];
}

async function runNative(pages, workers, tessdata) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-native-'));
  // One thread per process: N processes already fill the N cores (tesseract's own docs advise this for parallel runs).
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  try {
    const started = performance.now();
    const results = await runLimited(
      pages.map((page, i) => () => runProcess('tesseract', tesseractArgs(page.png, path.join(dir, `p${i}`), tessdata), { env })),
      workers,
    );
    const wallMs = performance.now() - started;
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length) throw new Error(`native tesseract failed on ${failed.length} pages: ${failed[0].stderr.trim().slice(-300)}`);
    const texts = await Promise.all(pages.map((_, i) => readFile(path.join(dir, `p${i}.txt`), 'utf8')));
    return { wallMs, pagesPerSecond: pages.length / (wallMs / 1000), texts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Page list of the OCR corpus: for each page its document, page number, PNG for the native side and expected text. */
async function nativePages(corpusDir, truth, log) {
  const pages = [];
  let renderMs = 0;
  let renderer = null;
  for (const [file, { pages: expected }] of Object.entries(truth)) {
    if (file.startsWith('born/')) continue;
    const abs = path.join(corpusDir, DOCS_DIR, file);
    if (file.endsWith('.png')) {
      pages.push({ file, page: 1, png: abs, truth: expected[0].text });
      continue;
    }
    const started = performance.now();
    const prefix = path.join(corpusDir, 'rendered', file.replace(/[/.]/g, '_'));
    const rendered = await renderPdfToPngs(abs, prefix, SCAN_DPI);
    renderMs += performance.now() - started;
    renderer = rendered.renderer;
    if (rendered.files.length !== expected.length) throw new Error(`${file}: rendered ${rendered.files.length} pages, expected ${expected.length}`);
    rendered.files.forEach((png, i) => pages.push({ file, page: i + 1, png, truth: expected[i].text }));
  }
  log(`ocr: ${pages.length} pages for the native side (PDF pages rendered by ${renderer ?? 'none'} in ${Math.round(renderMs)} ms)`);
  return { pages, renderMs, renderer };
}

/** Share of the machine's CPU used by processes other than ours above which a run is flagged. */
const OTHER_CPU_WARN_PERCENT = 10;

function warnIfShared(cpu, log, details) {
  if (!cpu || cpu.otherCpuPercent <= OTHER_CPU_WARN_PERCENT) return;
  const note = `other processes (or hypervisor steal) used ${cpu.otherCpuPercent}% of the machine's CPU during a run: figures are skewed`;
  log(`ocr: warning: ${note}`);
  details.notes.push(note);
}

const meanOf = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const pct = (x) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);

export async function run({ log = (line) => process.stderr.write(`${line}\n`), quick = false } = {}) {
  checkBuild('ocr', log);
  const size = quick ? SIZES.quick : SIZES.full;
  const workers = Math.max(1, os.availableParallelism());
  const corpusDir = path.join(CORPUS_ROOT, quick ? 'ocr-quick' : 'ocr-full');
  const truth = ensureCorpus(corpusDir, letterCorpusSpec(size));
  const docs = path.join(corpusDir, DOCS_DIR);
  const ocrInputs = [path.join(docs, 'images'), path.join(docs, 'scanned')];
  const bornInputs = [path.join(docs, 'born')];
  const ocrPageCount = Object.entries(truth).filter(([f]) => !f.startsWith('born/')).reduce((n, [, t]) => n + t.pages.length, 0);
  const bornPageCount = Object.entries(truth).filter(([f]) => f.startsWith('born/')).reduce((n, [, t]) => n + t.pages.length, 0);
  const details = {
    machine: { cpus: workers, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((l) => round(l)) },
    corpus: { dir: path.relative(process.cwd(), corpusDir), ocrPages: ocrPageCount, bornDigitalPages: bornPageCount, dpi: SCAN_DPI },
    workers,
    runs: [],
    notes: [],
  };

  const tool = await ensureDebianTool('tesseract', 'tesseract-ocr', log);
  const tessdata = prepareTessdata(path.join(CORPUS_ROOT, 'tessdata'));
  let native = null;
  if (tool.path) {
    details.native = {
      tool: tool.path, installedNow: tool.installed, version: await toolVersion('tesseract'), tessdata: tessdata.dir, traineddataFrom: tessdata.source,
      args: tesseractArgs('PAGE.png', 'OUT', tessdata.dir).join(' '), env: 'OMP_THREAD_LIMIT=1', parallelProcesses: workers,
    };
    native = await nativePages(corpusDir, truth, log);
    details.native.renderer = native.renderer;
    details.native.renderMs = Math.round(native.renderMs);
  } else {
    details.notes.push(`native tesseract unavailable: ${tool.note}; ocrq reported alone`);
    log(`ocr: ${tool.note}`);
  }

  // Warm-up: the first run pays for cold caches (wasm compile, page cache) on both sides; it is not counted.
  log('ocr: warm-up run (not counted)');
  await runOcrq(ocrInputs, { workers });

  const ocrqRuns = [];
  const nativeRuns = [];
  let ocrqTexts = null;
  let nativeTexts = null;
  for (let round_ = 0; round_ < size.rounds; round_++) {
    const { result: o, cpu: ocrqCpu } = await withCpuAccounting(() => runOcrq(ocrInputs, { workers }));
    warnIfShared(ocrqCpu, log, details);
    if (o.summary.completed !== Object.keys(truth).length - size.born.length || o.summary.pages !== ocrPageCount) {
      throw new Error(`ocrq completed ${o.summary.completed} documents / ${o.summary.pages} pages; expected all ${ocrPageCount} pages`);
    }
    ocrqRuns.push(o);
    ocrqTexts ??= pagesBySource(o.rows, docs);
    log(`ocr: ocrq round ${round_ + 1}: ${o.summary.pages_per_second} pages/s (summary), wall ${Math.round(o.wallMs)} ms`);
    details.runs.push({ side: 'ocrq', pagesPerSecond: o.summary.pages_per_second, elapsedMs: o.summary.elapsed_ms, wallMs: Math.round(o.wallMs), cpu: ocrqCpu });
    if (native) {
      const { result: n, cpu: nativeCpu } = await withCpuAccounting(() => runNative(native.pages, workers, tessdata.dir));
      warnIfShared(nativeCpu, log, details);
      nativeRuns.push(n);
      nativeTexts ??= n.texts;
      log(`ocr: native round ${round_ + 1}: ${round(n.pagesPerSecond)} pages/s, wall ${Math.round(n.wallMs)} ms`);
      details.runs.push({ side: 'native', pagesPerSecond: round(n.pagesPerSecond), wallMs: Math.round(n.wallMs), cpu: nativeCpu });
    }
  }

  const ocrqPps = median(ocrqRuns.map((r) => r.summary.pages_per_second));
  const ocrqWall = median(ocrqRuns.map((r) => r.wallMs));
  const ocrqWallPps = ocrPageCount / (ocrqWall / 1000);
  const rows = [];
  const nativePps = native ? median(nativeRuns.map((r) => r.pagesPerSecond)) : null;
  const nativeWall = native ? median(nativeRuns.map((r) => r.wallMs)) : null;
  // Each round's ratio (ocrq's pages/s over native's, in the same round); the median of the rounds'.
  const ratios = ratioStats(nativeRuns.map((n, k) => ocrqRuns[k].summary.pages_per_second / n.pagesPerSecond));
  const ratio = nativePps ? ratios.median : null;
  rows.push({
    case: `local OCR, ${ocrPageCount} pages (PNG + image-only PDF), ${workers} workers`,
    ocrq: `${round(ocrqPps)} pages/s (wall ${(ocrqWall / 1000).toFixed(1)} s)`,
    baseline: native ? `${round(nativePps)} pages/s (wall ${(nativeWall / 1000).toFixed(1)} s; ${workers}× tesseract CLI)` : 'n/a (tesseract unavailable)',
    ...(ratio === null ? { ratio: 'n/a' } : ratioFields(ratios)),
    target: `≥ ${TARGET_RATIO}× native`,
    met: ratio === null ? null : ratio >= TARGET_RATIO,
  });
  details.ocr = {
    ocrqPagesPerSecondSummary: round(ocrqPps),
    ocrqPagesPerSecondWall: round(ocrqWallPps),
    ocrqWallMs: Math.round(ocrqWall),
    nativePagesPerSecond: round(nativePps),
    nativeWallMs: nativeWall === null ? null : Math.round(nativeWall),
    ratioSummaryPps: round(ratio),
    ratioWallIncludingStartup: nativeWall === null ? null : round(nativeWall / ocrqWall),
    nativeIncludingPdfRendering:
      native && nativeWall !== null ? round(ocrPageCount / ((nativeWall + native.renderMs) / 1000)) : null,
  };

  // Accuracy on the same pages, against the generated text: both sides should read the same words.
  if (ocrqTexts) {
    const pageList = native?.pages ?? [];
    const ocrqCer = [];
    const nativeCer = [];
    const agree = [];
    pageList.forEach((p, i) => {
      const mine = ocrqTexts[p.file]?.[p.page - 1]?.text ?? '';
      ocrqCer.push(cer(p.truth, mine));
      if (nativeTexts) {
        nativeCer.push(cer(p.truth, nativeTexts[i]));
        agree.push(cer(nativeTexts[i], mine));
      }
    });
    if (!native) {
      for (const [file, t] of Object.entries(truth)) {
        if (!file.startsWith('born/')) t.pages.forEach((pg, i) => ocrqCer.push(cer(pg.text, ocrqTexts[file]?.[i]?.text ?? '')));
      }
    }
    details.accuracy = {
      meanCerVsTruth: { ocrq: round(meanOf(ocrqCer), 4), native: round(meanOf(nativeCer), 4) },
      meanCerOcrqVsNative: round(meanOf(agree), 4),
      worstPageCerOcrq: round(Math.max(...ocrqCer), 4),
    };
    rows.push({
      case: 'character error rate vs generated text (same pages)',
      ocrq: pct(meanOf(ocrqCer)),
      baseline: native ? pct(meanOf(nativeCer)) : 'n/a',
      ratio: native ? `ocrq vs native ${pct(meanOf(agree))}` : 'n/a',
      target: 'info',
      met: null,
    });
  }

  // Born-digital pages: the text layer as it is vs OCRing every page.
  const textRuns = [];
  const forcedRuns = [];
  for (let round_ = 0; round_ < size.rounds; round_++) {
    textRuns.push(await runOcrq(bornInputs, { workers }));
    forcedRuns.push(await runOcrq(bornInputs, { workers, extraArgs: ['--force-ocr'] }));
  }
  const layerRatios = ratioStats(textRuns.map((t, k) => t.summary.pages_per_second / forcedRuns[k].summary.pages_per_second));
  const textPps = median(textRuns.map((r) => r.summary.pages_per_second));
  const forcedPps = median(forcedRuns.map((r) => r.summary.pages_per_second));
  const textWall = median(textRuns.map((r) => r.wallMs));
  const forcedWall = median(forcedRuns.map((r) => r.wallMs));
  const layerPages = textRuns[0].rows.flatMap((r) => r.result?.pages ?? []).filter((p) => p.source === 'text-layer').length;
  rows.push({
    case: `born-digital PDF, ${bornPageCount} pages: text layer vs --force-ocr`,
    ocrq: `${round(textPps)} pages/s (wall ${(textWall / 1000).toFixed(1)} s)`,
    baseline: `${round(forcedPps)} pages/s with --force-ocr (wall ${(forcedWall / 1000).toFixed(1)} s)`,
    ...ratioFields(layerRatios),
    target: 'report',
    met: null,
  });
  details.bornDigital = {
    pages: bornPageCount, textLayerPagesUsed: layerPages,
    textLayerPagesPerSecond: round(textPps), forceOcrPagesPerSecond: round(forcedPps),
    textLayerWallMs: Math.round(textWall), forceOcrWallMs: Math.round(forcedWall),
    note: 'text-layer pages/s is bounded by process and engine start-up (workers load the traineddata even when no page needs OCR)',
  };

  // One profiled run: where ocrq's time goes (main thread and each tesseract.js worker thread).
  const profDir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-prof-'));
  try {
    log('ocr: profiling one ocrq run (node --cpu-prof)');
    const profiled = await runOcrq(ocrInputs, { workers, cpuProfDir: profDir });
    details.profile = { pagesPerSecondWhileProfiling: profiled.summary.pages_per_second, ...summarizeCpuProfiles(profDir) };
  } catch (err) {
    details.profile = { error: String(err) };
  } finally {
    await rm(profDir, { recursive: true, force: true });
  }
  return { rows, details };
}

function printRows(rows) {
  for (const r of rows) {
    console.log(`${r.case}\n  ocrq: ${r.ocrq}\n  baseline: ${r.baseline}\n  ratio: ${r.ratio}  target: ${r.target}  met: ${r.met}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  run({ quick }).then(
    ({ rows, details }) => {
      printRows(rows);
      console.log(JSON.stringify(details, null, 2));
    },
    (err) => {
      console.error(`ocr: ${err.stack ?? err}`);
      process.exitCode = 1;
    },
  );
}
