// Reading quality: character error rate (CER) against the known text, per kind of page, for ocrq (its default, with
// --rotate, and with the other --psm) side by side with native `tesseract` (as run from a shell: automatic layout
// analysis, the same traineddata) and OCRmyPDF (sidecar text, plain and with --rotate-pages --deskew), all on the
// same pages. Also: page segmentation (auto vs block) on columns, forms and receipts, ocrq's pages/s on upright
// pages, and the --min-confidence threshold the page confidences argue for. Run after `npm run build`:
//   node bench/run.mjs quality [--quick]
// Pages (bench/lib/quality-corpus.mjs, generated under bench/.corpus/quality-*): US-letter prose upright, turned 90,
// 180 and 270 degrees, skewed 3 degrees either way, with scanner noise and at 150 dpi; a two-column page, a form and
// a receipt; pages without text. Plus the OCRed pages of fixtures/ (fixtures/ground-truth.json; ZIP entries left
// out, the other tools cannot open them) and test/scans/ (test/scans/ground-truth.json).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DOCS_DIR } from './lib/ocr-corpus.mjs';
import { cer, checkBuild, CORPUS_ROOT, REPO, round, runOcrq, withCpuAccounting } from './lib/ocr-measure.mjs';
import { ensureDebianTool, linkSystemConfigs, prepareTessdata, toolVersion } from './lib/ocr-tools.mjs';
import { ensureQualityCorpus, LAYOUTS, LETTER_VARIANTS, qualityCorpusSpec } from './lib/quality-corpus.mjs';
import {
  addOsdModel, chooseThreshold, missedWords, timeEngineParameters, wrongWords, nativeArgs, nativeImages, OCRMYPDF_CONFIGS, ocrmypdfArgs, ocrmypdfInput, runNative, runOcrmypdf,
} from './lib/quality-tools.mjs';

export const name = 'quality';
export const description =
  'Character error rate by kind of page (turned, skewed, noisy, 150 dpi, fixtures): ocrq (default, --rotate, both --psm) vs native tesseract and OCRmyPDF; --psm and --min-confidence chosen from it';

/** With --rotate, a turned or skewed page must read within this much CER of the same pages upright. */
export const STRAIGHTEN_TARGET = 0.01;
/** The default page segmentation's engine time per page may be at most 1 / this of the previous default's (block). */
export const SPEED_TARGET = 0.9;
/**
 * A page whose words are at most this share wrong counts as read well (it must not be marked low confidence) ...
 * Words, not characters: a page read in another order than expected (columns, forms) is read well all the same.
 */
const GOOD_WORDS = 0.05;
/** ... and one with at least this share wrong as read badly (it should be marked), as is any text on a page without. */
const BAD_WORDS = 0.25;

/**
 * Pages of each kind (`variants`: which letter variants, all when absent); `speed`: more upright letter pages, read
 * only to time ocrq. The generated pages are alike, so one letter page of each kind says what two would.
 */
const SIZES = {
  quick: { letters: 1, layouts: 1, speed: 1, variants: ['upright', 'turned-90', 'turned-180', 'skewed-3', 'noise'] },
  full: { letters: 1, layouts: 2, speed: 3 },
};

const dist = (file) => import(pathToFileURL(path.join(REPO, 'dist', file)).href);
const pct = (x) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Every page of the benchmark: its file, page number, row (`group/variant`), expected text (null: none) and dpi. */
function benchmarkPages(truth, docs) {
  const pages = [];
  for (const [name_, t] of Object.entries(truth)) {
    pages.push({ file: path.join(docs, name_), page: 1, group: t.group, variant: t.variant, truth: t.group === 'junk' ? null : t.text, dpi: t.dpi });
  }
  const fixtures = JSON.parse(readFileSync(path.join(REPO, 'fixtures', 'ground-truth.json'), 'utf8'));
  for (const [rel, t] of Object.entries(fixtures)) {
    if (!t.pages || rel.includes('!')) continue;
    t.textLayer.forEach((layer, i) => {
      if (!layer) pages.push({ file: path.join(REPO, 'fixtures', rel), page: i + 1, group: 'fixtures', variant: 'all', truth: t.pages[i], dpi: 300 });
    });
  }
  const scans = JSON.parse(readFileSync(path.join(REPO, 'test', 'scans', 'ground-truth.json'), 'utf8'));
  for (const [file, t] of Object.entries(scans)) {
    const variant = t.turn === 0 ? 'upright' : t.turn % 90 === 0 ? 'turned' : 'skewed';
    pages.push({ file: path.join(REPO, 'test', 'scans', file), page: 1, group: 'scans', variant, truth: t.text, dpi: 300 });
  }
  return pages.map((p) => ({ ...p, row: `${p.group}/${p.variant}`, key: `${p.file}#${p.page}` }));
}

/** The rows of the quality table; `reference`: the upright row a turned or skewed row must match with --rotate. */
const QUALITY_ROWS = [
  ...LETTER_VARIANTS.map((v) => ({
    row: `letters/${v.id}`, label: `letter page, ${v.label}`, reference: v.turn === undefined ? null : 'letters/upright',
  })),
  { row: 'fixtures/all', label: 'fixtures/ (images, scanned PDF pages)', reference: null },
  { row: 'scans/upright', label: 'test/scans upright', reference: null },
  { row: 'scans/turned', label: 'test/scans turned 90/180/270 (PNG, PDF)', reference: 'scans/upright' },
  { row: 'scans/skewed', label: 'test/scans skewed ±3°', reference: 'scans/upright' },
];

/** Files of `pages`, once each, in order. */
const filesOf = (pages) => [...new Set(pages.map((p) => p.file))];

/** Every page's text and confidence from ocrq's manifest rows, added to `out` (key: absolute file#page). */
function collectPages(rows, out) {
  for (const row of rows) {
    if (row.status !== 'completed') continue;
    for (const source of row.sources ?? [row.source]) {
      for (const p of row.result?.pages ?? []) out.set(`${path.resolve(REPO, source)}#${p.page}`, { text: p.text ?? '', confidence: p.confidence ?? null });
    }
  }
}

/**
 * One timed ocrq run over the upright letter pages: pages/s from its summary, and the CPU time of the run's
 * processes per page (start-up included), which others' work on a shared machine stretches less than wall time.
 */
async function timeUpright(label, args, upright, workers, pages, log) {
  const { result, cpu } = await withCpuAccounting(() => runOcrq(filesOf(upright), { workers, extraArgs: args }));
  collectPages(result.rows, pages);
  const cpuSecondsPerPage = cpu ? round(cpu.ownCpuSeconds / upright.length, 2) : null;
  log(`quality: ocrq ${label}: ${upright.length} upright letter pages at ${result.summary.pages_per_second} pages/s, ${cpuSecondsPerPage} CPU s/page (other processes ${cpu?.otherCpuPercent}% of the machine)`);
  return { pagesPerSecond: result.summary.pages_per_second, cpuSecondsPerPage, otherCpuPercent: cpu?.otherCpuPercent ?? null };
}

/** The rest of one ocrq configuration's pages, untimed. */
async function readRest(label, args, rest, workers, pages, log) {
  const started = performance.now();
  const r = await runOcrq(filesOf(rest), { workers, extraArgs: args });
  collectPages(r.rows, pages);
  log(`quality: ocrq ${label}: ${rest.length} more pages in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

export async function run({ log = (line) => process.stderr.write(`${line}\n`), quick = false } = {}) {
  checkBuild('quality', log);
  const workers = Math.max(1, os.availableParallelism());
  const { DEFAULT_PSM } = await dist('targets/local/page-segmentation.js');
  const { DEFAULT_MIN_CONFIDENCE } = await dist('targets/local/confidence.js');
  const otherPsm = DEFAULT_PSM === 'auto' ? 'block' : 'auto';
  const corpusDir = path.join(CORPUS_ROOT, quick ? 'quality-quick' : 'quality-full');
  const started = performance.now();
  const size = quick ? SIZES.quick : SIZES.full;
  const truth = ensureQualityCorpus(corpusDir, qualityCorpusSpec(size));
  log(`quality: corpus ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const pages = benchmarkPages(truth, path.join(corpusDir, DOCS_DIR));
  const details = {
    machine: { cpus: workers, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((l) => round(l)) },
    corpus: { dir: path.relative(REPO, corpusDir), pages: pages.length },
    defaults: { psm: DEFAULT_PSM, minConfidence: DEFAULT_MIN_CONFIDENCE },
    notes: [],
  };

  // Which pages each side reads: everything for ocrq's default and other --psm; turned, skewed and the corpora for
  // --rotate; the quality table's pages and the layouts for native tesseract; the quality table's for OCRmyPDF. The
  // upright letter pages and the speed pages are read first, alone, to time ocrq on upright pages.
  const upright = pages.filter((p) => p.row === 'letters/upright' || p.group === 'speed');
  const notUpright = pages.filter((p) => !upright.includes(p));
  const tablePages = pages.filter((p) => QUALITY_ROWS.some((r) => r.row === p.row));
  // Upright pages first, timed, once for each configuration; then the engine's own time per page for each page
  // segmentation, in pairs, which is what decides whether the default is slower than block.
  const ocrq = { default: { pages: new Map() }, otherPsm: { pages: new Map() }, rotate: { pages: new Map() } };
  const labels = { default: `default (--psm ${DEFAULT_PSM})`, otherPsm: `--psm ${otherPsm}`, rotate: '--rotate' };
  const args = { default: [], otherPsm: ['--psm', otherPsm], rotate: ['--rotate'] };
  for (const config of ['default', 'otherPsm', 'rotate']) Object.assign(ocrq[config], await timeUpright(labels[config], args[config], upright, workers, ocrq[config].pages, log));
  const engineMs = await timeEngineParameters(upright.map((p) => readFileSync(p.file)), { a: { tessedit_pageseg_mode: '3' }, b: { tessedit_pageseg_mode: '6' } }, workers, REPO);
  const engine = { auto: engineMs.a, block: engineMs.b };
  log(`quality: engine time per upright page: auto ${engine.auto.map(Math.round).join(', ')} ms; block ${engine.block.map(Math.round).join(', ')} ms`);
  await readRest(labels.default, args.default, notUpright, workers, ocrq.default.pages, log);
  await readRest(labels.otherPsm, args.otherPsm, notUpright, workers, ocrq.otherPsm.pages, log);
  await readRest(labels.rotate, args.rotate, tablePages.filter((p) => !upright.includes(p)), workers, ocrq.rotate.pages, log);

  const tessdata = prepareTessdata(path.join(CORPUS_ROOT, 'tessdata'));
  const work = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-quality-'));
  const native = new Map();
  const ocrmypdf = { plain: new Map(), straighten: new Map() };
  try {
    const tesseract = await ensureDebianTool('tesseract', 'tesseract-ocr', log);
    if (tesseract.path) {
      const nativePages = pages.filter((p) => p.group !== 'junk' && p.group !== 'speed');
      const images = await nativeImages(filesOf(nativePages).map((f) => ({ path: f })), path.join(work, 'rendered'));
      const list = nativePages.map((p) => ({ ...p, image: images.get(p.file)[p.page - 1] }));
      const r = await runNative(list, workers, tessdata.dir);
      list.forEach((p, i) => native.set(p.key, r.texts[i]));
      details.native = { version: await toolVersion('tesseract'), args: nativeArgs('PAGE', 'OUT', tessdata.dir).join(' '), env: 'OMP_THREAD_LIMIT=1', wallMs: Math.round(r.wallMs) };
      log(`quality: native tesseract: ${list.length} pages in ${(r.wallMs / 1000).toFixed(0)} s`);
    } else {
      details.notes.push(`native tesseract columns left out: ${tesseract.note}`);
      log(`quality: ${tesseract.note}`);
    }

    const tool = await ensureDebianTool('ocrmypdf', 'ocrmypdf', log);
    if (tool.path) {
      linkSystemConfigs(tessdata.dir);
      addOsdModel(tessdata.dir);
      const files = filesOf(tablePages);
      const dpiOf = new Map(tablePages.map((p) => [p.file, p.dpi]));
      const inputs = [];
      for (const f of files) inputs.push(await ocrmypdfInput(f, dpiOf.get(f), path.join(work, 'ocrmypdf-in')));
      details.ocrmypdf = { version: await toolVersion('ocrmypdf'), env: `TESSDATA_PREFIX=${tessdata.dir} (with osd.traineddata from @tesseract.js-data/osd)`, runs: {} };
      for (const [config, extra] of Object.entries(OCRMYPDF_CONFIGS)) {
        const r = await runOcrmypdf(inputs, workers, tessdata.dir, extra);
        files.forEach((f, i) => r.texts[i]?.forEach((text, p) => ocrmypdf[config].set(`${f}#${p + 1}`, text)));
        details.ocrmypdf.runs[config] = { args: ocrmypdfArgs('IN', 'OUT.txt', extra).join(' '), wallMs: Math.round(r.wallMs), errors: r.errors };
        log(`quality: OCRmyPDF ${extra.join(' ') || '(plain)'}: ${files.length} files in ${(r.wallMs / 1000).toFixed(0)} s${r.errors.length ? `, ${r.errors.length} failed: ${r.errors[0]}` : ''}`);
      }
    } else {
      details.notes.push(`OCRmyPDF columns left out: ${tool.note}`);
      log(`quality: ${tool.note}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  // CER of every page for every side that read it (null: not read, or the tool failed on it).
  const sides = {
    ocrq: (p) => ocrq.default.pages.get(p.key)?.text,
    ocrqRotate: (p) => ocrq.rotate.pages.get(p.key)?.text,
    ocrqOtherPsm: (p) => ocrq.otherPsm.pages.get(p.key)?.text,
    native: (p) => native.get(p.key),
    ocrmypdf: (p) => ocrmypdf.plain.get(p.key),
    ocrmypdfStraighten: (p) => ocrmypdf.straighten.get(p.key),
  };
  const cerOf = (side, p) => {
    const text = sides[side](p);
    return p.truth === null || text === undefined || text === null ? null : cer(p.truth, text);
  };
  const rowCer = (row, side) => {
    const values = pages.filter((p) => p.row === row).map((p) => cerOf(side, p));
    return values.some((v) => v === null) ? null : mean(values);
  };
  const available = (side) => (side.startsWith('native') ? native.size > 0 : side.startsWith('ocrmypdf') ? ocrmypdf.plain.size > 0 : true);

  const matrix = QUALITY_ROWS.filter(({ row }) => pages.some((p) => p.row === row)).map(({ row, label, reference }) => ({
    row, label, pages: pages.filter((p) => p.row === row).length, reference,
    ...Object.fromEntries(Object.keys(sides).map((s) => [s, round(rowCer(row, s), 4)])),
  }));
  details.matrix = matrix;
  details.pageCer = pages.filter((p) => p.truth !== null).map((p) => ({
    file: path.relative(REPO, p.file), page: p.page, row: p.row,
    ...Object.fromEntries(Object.keys(sides).map((s) => [s, round(cerOf(s, p), 4)])),
    confidence: ocrq.default.pages.get(p.key)?.confidence ?? null,
  }));

  const rows = [];
  for (const m of matrix) {
    const ref = m.reference ? matrix.find((x) => x.row === m.reference) : null;
    const met = ref && m.ocrqRotate !== null && ref.ocrqRotate !== null ? m.ocrqRotate <= ref.ocrqRotate + STRAIGHTEN_TARGET : null;
    rows.push({
      case: `CER, ${m.label} (${m.pages} p.)`,
      ocrq: `${pct(m.ocrq)}; --rotate ${pct(m.ocrqRotate)}; --psm ${otherPsm} ${pct(m.ocrqOtherPsm)}`,
      baseline: `tesseract ${available('native') ? pct(m.native) : 'n/a'}; OCRmyPDF ${available('ocrmypdf') ? `${pct(m.ocrmypdf)}, --rotate-pages --deskew ${pct(m.ocrmypdfStraighten)}` : 'n/a'}`,
      ratio: '',
      target: ref ? `--rotate ≤ ${pct(ref.ocrqRotate + STRAIGHTEN_TARGET)} (upright + 1 pt)` : 'info',
      met,
    });
  }

  // Overall: every page of the table, each counting once.
  const overallPages = pages.filter((p) => QUALITY_ROWS.some((r) => r.row === p.row));
  const overall = Object.fromEntries(Object.keys(sides).map((s) => {
    const values = overallPages.map((p) => cerOf(s, p));
    return [s, values.some((v) => v === null) ? null : mean(values)];
  }));
  details.overall = { pages: overallPages.length, ...Object.fromEntries(Object.entries(overall).map(([k, v]) => [k, round(v, 4)])) };
  rows.push({
    case: `mean CER over all ${overallPages.length} pages above`,
    ocrq: `${pct(overall.ocrq)}; --rotate ${pct(overall.ocrqRotate)}`,
    baseline: `tesseract ${pct(overall.native)}; OCRmyPDF ${pct(overall.ocrmypdf)}, --rotate-pages --deskew ${pct(overall.ocrmypdfStraighten)}`,
    ratio: overall.native ? round(overall.ocrq / overall.native) : 'n/a',
    target: '≤ native tesseract',
    met: overall.native === null ? null : overall.ocrq <= overall.native,
  });

  // Page segmentation: both modes on text, columns, forms and receipts; what is lost (words missed) apart from
  // what is read out of order.
  const psmKinds = ['upright', ...LAYOUTS];
  const psmRow = (kind) => pages.filter((p) => (kind === 'upright' ? p.row === 'letters/upright' : p.row === `layout/${kind}`));
  const psmSide = { [DEFAULT_PSM]: 'ocrq', [otherPsm]: 'ocrqOtherPsm' };
  details.pageSegmentation = psmKinds.map((kind) => {
    const list = psmRow(kind);
    const entry = { kind: kind === 'upright' ? 'text (letter)' : kind, pages: list.length };
    for (const mode of ['auto', 'block']) {
      entry[mode] = {
        cer: round(mean(list.map((p) => cerOf(psmSide[mode], p))), 4),
        missedWords: round(mean(list.map((p) => missedWords(p.truth, sides[psmSide[mode]](p) ?? ''))), 4),
      };
    }
    entry.native = native.size ? { cer: round(mean(list.map((p) => cerOf('native', p))), 4), missedWords: round(mean(list.map((p) => missedWords(p.truth, native.get(p.key) ?? ''))), 4) } : null;
    return entry;
  });
  for (const e of details.pageSegmentation) {
    rows.push({
      case: `page segmentation, ${e.kind} (${e.pages} p.)`,
      ocrq: `auto ${pct(e.auto.cer)} (words missed ${pct(e.auto.missedWords)})`,
      baseline: `block ${pct(e.block.cer)} (words missed ${pct(e.block.missedWords)})${e.native ? `; tesseract ${pct(e.native.cer)}` : ''}`,
      ratio: '',
      target: 'info',
      met: null,
    });
  }
  const psmMean = (mode) => mean(details.pageSegmentation.map((e) => e[mode].cer));
  const better = psmMean('auto') <= psmMean('block') ? 'auto' : 'block';
  rows.push({
    case: 'page segmentation: mean CER over the four kinds',
    ocrq: `auto ${pct(psmMean('auto'))}`,
    baseline: `block ${pct(psmMean('block'))}`,
    ratio: '',
    target: `default (${DEFAULT_PSM}) is the better`,
    met: DEFAULT_PSM === better,
  });

  // Speed on upright pages. ocrq's pages/s and CPU time per page (start-up included) for each configuration; the
  // engine's time per page, auto against block (the default before --psm existed), decides the target: the sums of
  // the paired reads, since others' work on a shared machine stretches a single run by more than the difference.
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const engineRatio = sum(engine.block) / sum(engine.auto);
  const speed = { [DEFAULT_PSM]: ocrq.default, [otherPsm]: ocrq.otherPsm, rotate: ocrq.rotate };
  details.speed = {
    pages: upright.length,
    ocrq: Object.fromEntries(Object.entries(speed).map(([k, v]) => [k, { pagesPerSecond: v.pagesPerSecond, cpuSecondsPerPage: v.cpuSecondsPerPage, otherCpuPercent: v.otherCpuPercent }])),
    engineMsPerPage: { auto: round(sum(engine.auto) / engine.auto.length, 0), block: round(sum(engine.block) / engine.block.length, 0), reads: engine },
    engineBlockOverAuto: round(engineRatio, 3),
  };
  const speedText = (v) => `${v.pagesPerSecond} pages/s, ${v.cpuSecondsPerPage} CPU s/page`;
  rows.push({
    case: `upright letter pages/s (${upright.length} p., ${workers} workers, start-up included)`,
    ocrq: `${speedText(speed[DEFAULT_PSM])} (default, --psm ${DEFAULT_PSM}); --rotate ${speedText(speed.rotate)}`,
    baseline: `${speedText(speed[otherPsm])} (--psm ${otherPsm})`,
    ratio: '',
    target: 'report',
    met: null,
  });
  rows.push({
    case: `engine time per upright page, auto vs block (${engine.auto.length} pairs, ${workers} engines)`,
    ocrq: `auto ${details.speed.engineMsPerPage.auto} ms`,
    baseline: `block ${details.speed.engineMsPerPage.block} ms`,
    ratio: round(engineRatio),
    target: `default ≥ ${SPEED_TARGET}× block's speed`,
    met: DEFAULT_PSM === 'block' ? true : engineRatio >= SPEED_TARGET,
  });

  // Pages without text: does either mode make text of them, and with what confidence?
  const junk = pages.filter((p) => p.group === 'junk');
  const junkSummary = (config) => {
    const read = junk.map((p) => ocrq[config].pages.get(p.key)).filter(Boolean);
    const withText = read.filter((r) => r.text.trim() !== '');
    return { withText: withText.length, of: junk.length, confidences: withText.map((r) => r.confidence) };
  };
  details.junk = { [DEFAULT_PSM]: junkSummary('default'), [otherPsm]: junkSummary('otherPsm') };
  rows.push({
    case: `pages without text (${junk.map((p) => p.variant).join(', ')}): read as text`,
    ocrq: `auto: ${details.junk.auto.withText} of ${junk.length} (confidence ${details.junk.auto.confidences.join(', ') || '-'})`,
    baseline: `block: ${details.junk.block.withText} of ${junk.length} (confidence ${details.junk.block.confidences.join(', ') || '-'})`,
    ratio: '',
    target: 'info',
    met: null,
  });

  // --min-confidence: confidences of pages read well against those of pages read badly (or of no text at all),
  // over every ocrq run above. Pages read as no text are never marked and are left out.
  const good = [];
  const bad = [];
  const badPages = [];
  const between = [];
  for (const [config, run] of Object.entries(ocrq)) {
    for (const p of pages) {
      const r = run.pages.get(p.key);
      if (!r || r.text.trim() === '' || r.confidence === null) continue;
      const wrong = wrongWords(p.truth ?? '', r.text);
      const page = { file: path.relative(REPO, p.file), page: p.page, config, confidence: r.confidence, wordsWrong: round(wrong, 3) };
      if (wrong <= GOOD_WORDS) good.push(r.confidence);
      else if (wrong >= BAD_WORDS) {
        bad.push(r.confidence);
        badPages.push(page);
      } else between.push(page);
    }
  }
  const threshold = chooseThreshold(good, bad, DEFAULT_MIN_CONFIDENCE);
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  details.confidence = {
    goodWordsWrong: GOOD_WORDS, badWordsWrong: BAD_WORDS, good: sorted(good), bad: sorted(bad),
    badPages: badPages.sort((a, b) => b.confidence - a.confidence), between, ...threshold,
  };
  rows.push({
    case: `--min-confidence: ${good.length} pages read well (≤ ${pct(GOOD_WORDS)} of words wrong) vs ${bad.length} badly (≥ ${pct(BAD_WORDS)}) or not text`,
    ocrq: `well: ${Math.min(...good)}–${Math.max(...good)}; badly: ${bad.length ? `${Math.min(...bad)}–${Math.max(...bad)}` : '-'}`,
    baseline: `fewest errors (${threshold.fewest}) at ${threshold.best.join(', ')}`,
    ratio: '',
    target: `default ${DEFAULT_MIN_CONFIDENCE} among the best`,
    met: threshold.best.includes(DEFAULT_MIN_CONFIDENCE),
  });

  log(formatMatrix(matrix, otherPsm));
  return { rows, details };
}

/** The quality table as text, one column per side, for the log. */
export function formatMatrix(matrix, otherPsm) {
  const header = ['pages', 'ocrq', 'ocrq --rotate', `ocrq --psm ${otherPsm}`, 'tesseract', 'OCRmyPDF', 'OCRmyPDF rotate+deskew'];
  const keys = ['ocrq', 'ocrqRotate', 'ocrqOtherPsm', 'native', 'ocrmypdf', 'ocrmypdfStraighten'];
  const lines = matrix.map((m) => [`${m.label} (${m.pages})`, ...keys.map((k) => pct(m[k]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run({ quick: process.argv.includes('--quick') }).then(
    ({ rows }) => {
      for (const r of rows) console.log(`${r.case}\n  ocrq: ${r.ocrq}\n  baseline: ${r.baseline}\n  target: ${r.target}  met: ${r.met}`);
    },
    (err) => {
      console.error(`quality: ${err.stack ?? err}`);
      process.exitCode = 1;
    },
  );
}
