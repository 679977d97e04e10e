// OCR engines side by side on the benchmark corpus (bench/lib/ocr-corpus.mjs): ocrq with its embedded engine
// (tesseract.js), ocrq --engine native (the system's tesseract, one long-lived process per worker), and the system's
// tesseract run by hand as N parallel processes, one per page and one long-lived process each. Each with the system's
// own English data (Debian: tessdata_fast) and with ocrq's bundled best_int data, so that engine and model differences
// are told apart. Pages/s are medians of `rounds` rounds that alternate the sides; CER is against the corpus's text.
// The load average is recorded with every run: the figures of a loaded machine are only comparable side by side.
//   node bench/engines.mjs [--quick] [--rounds N]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ratioFields, ratioStats } from './lib/stats.mjs';
import { DOCS_DIR, ensureCorpus, letterCorpusSpec, SCAN_DPI } from './lib/ocr-corpus.mjs';
import { cer, checkBuild, CORPUS_ROOT, median, pagesBySource, round, runOcrq, withCpuAccounting } from './lib/ocr-measure.mjs';
import { prepareTessdata, renderPdfToPngs, runLimited, runProcess, toolVersion, which } from './lib/ocr-tools.mjs';

export const name = 'engines';
export const description = 'OCR pages/s and CER: ocrq embedded (tesseract.js) vs ocrq --engine native vs N tesseract CLI processes, per traineddata';

const SIZES = {
  quick: { images: 4, scanned: [2, 2], rounds: 3 },
  full: { images: 16, scanned: [3, 3, 3, 3, 2], rounds: 3 },
};

const load = () => os.loadavg().map((l) => round(l));
const meanOf = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const pct = (x) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);

/** The system tesseract's own tessdata folder, as `--list-langs` names it. */
async function systemTessdata() {
  const r = await runProcess('tesseract', ['--list-langs']);
  return /languages in "([^"]+)"/u.exec(`${r.stdout}\n${r.stderr}`)?.[1]?.replace(/\/$/u, '') ?? null;
}

/** The corpus's OCR pages as PNG files for the CLI sides (PDF pages rendered once, outside any timing). */
async function pagePngs(corpusDir, truth) {
  const pages = [];
  for (const [file, { pages: expected }] of Object.entries(truth)) {
    const abs = path.join(corpusDir, DOCS_DIR, file);
    if (file.endsWith('.png')) {
      pages.push({ file, page: 1, png: abs, truth: expected[0].text });
      continue;
    }
    const rendered = await renderPdfToPngs(abs, path.join(corpusDir, 'rendered', file.replace(/[/.]/g, '_')), SCAN_DPI);
    rendered.files.forEach((png, i) => pages.push({ file, page: i + 1, png, truth: expected[i].text }));
  }
  return pages;
}

const cliArgs = (tessdata) => ['--tessdata-dir', tessdata, '-l', 'eng', '--oem', '1', '--psm', '3'];
const cliEnv = () => ({ ...process.env, OMP_THREAD_LIMIT: '1' });

/** N processes at a time, one per page (`tesseract PAGE - ...`): what a user of the CLI would script. */
async function cliPerPage(pages, workers, tessdata) {
  const started = performance.now();
  const results = await runLimited(
    pages.map((p) => () => runProcess('tesseract', [p.png, '-', ...cliArgs(tessdata), '--dpi', String(SCAN_DPI)], { env: cliEnv() })),
    workers,
  );
  const wallMs = performance.now() - started;
  const failed = results.find((r) => r.code !== 0);
  if (failed) throw new Error(`tesseract failed: ${failed.stderr.trim().slice(-300)}`);
  return { wallMs, texts: results.map((r) => r.stdout) };
}

/** N long-lived processes, each reading its share of the page list from stdin (`-c stream_filelist=1`). */
async function cliLongLived(pages, workers, tessdata) {
  const shares = Array.from({ length: workers }, (_, w) => pages.map((p, i) => ({ p, i })).filter(({ i }) => i % workers === w));
  const started = performance.now();
  const results = await Promise.all(
    shares.map((share) =>
      runProcess('tesseract', ['-', '-', ...cliArgs(tessdata), '-c', 'stream_filelist=1'], {
        env: cliEnv(),
        stdin: share.map(({ p }) => `${p.png}\n`).join(''),
      }),
    ),
  );
  const wallMs = performance.now() - started;
  const texts = new Array(pages.length);
  results.forEach((r, w) => {
    if (r.code !== 0) throw new Error(`tesseract failed: ${r.stderr.trim().slice(-300)}`);
    // The txt renderer puts a form feed between pages.
    r.stdout.split('\f').forEach((text, k) => {
      if (k < shares[w].length) texts[shares[w][k].i] = text;
    });
  });
  return { wallMs, texts };
}

export async function run({ log = (line) => process.stderr.write(`${line}\n`), quick = false, rounds } = {}) {
  checkBuild('engines', log);
  const size = quick ? SIZES.quick : SIZES.full;
  const roundCount = rounds ?? size.rounds;
  const workers = Math.max(1, os.availableParallelism());
  const corpusDir = path.join(CORPUS_ROOT, quick ? 'engines-quick' : 'engines-full');
  const truth = ensureCorpus(corpusDir, letterCorpusSpec({ images: size.images, scanned: size.scanned }));
  const docs = path.join(corpusDir, DOCS_DIR);
  const inputs = [path.join(docs, 'images'), path.join(docs, 'scanned')];
  const pageCount = Object.values(truth).reduce((n, t) => n + t.pages.length, 0);
  const details = {
    machine: { cpus: workers, model: os.cpus()[0]?.model, node: process.version, loadavgAtStart: load() },
    corpus: { dir: path.relative(process.cwd(), corpusDir), pages: pageCount, dpi: SCAN_DPI, kinds: 'US-letter PNG pages and image-only PDFs' },
    workers,
    rounds: roundCount,
    sides: {},
    notes: [],
  };
  if (!which('tesseract')) throw new Error('tesseract is not installed (apt-get install tesseract-ocr): nothing to compare');
  const bestInt = prepareTessdata(path.join(CORPUS_ROOT, 'tessdata')).dir;
  const system = await systemTessdata();
  details.tesseract = { version: await toolVersion('tesseract'), systemTessdata: system, bestIntTessdata: bestInt };
  const pages = await pagePngs(corpusDir, truth);

  // What each side runs. ocrq sides report their summary's pages/s (start-up included) and the process's wall time.
  const ocrqSide = (label, extraArgs, engine) => ({
    label,
    kind: 'ocrq',
    run: async () => {
      const r = await runOcrq(inputs, { workers, extraArgs, engine });
      if (r.summary.completed !== Object.keys(truth).length || r.summary.pages !== pageCount) {
        throw new Error(`${label}: completed ${r.summary.completed} documents / ${r.summary.pages} pages of ${pageCount}`);
      }
      const byFile = pagesBySource(r.rows, docs);
      const texts = pages.map((p) => byFile[p.file]?.[p.page - 1]?.text ?? '');
      return { pagesPerSecond: r.summary.pages_per_second, wallMs: r.wallMs, texts };
    },
  });
  const cliSide = (label, fn, tessdata) => ({
    label,
    kind: 'cli',
    run: async () => {
      const r = await fn(pages, workers, tessdata);
      return { pagesPerSecond: pages.length / (r.wallMs / 1000), wallMs: r.wallMs, texts: r.texts };
    },
  });
  const sides = [
    ocrqSide('ocrq embedded (tesseract.js), best_int', [], 'local'),
    ocrqSide('ocrq --engine native, best_int', ['--lang-path', bestInt], 'native'),
    cliSide(`${workers}x tesseract CLI, process per page, best_int`, cliPerPage, bestInt),
    cliSide(`${workers}x tesseract CLI, long-lived, best_int`, cliLongLived, bestInt),
  ];
  if (system) {
    sides.push(
      ocrqSide('ocrq --engine native, system data', [], 'native'),
      cliSide(`${workers}x tesseract CLI, process per page, system data`, cliPerPage, system),
      cliSide(`${workers}x tesseract CLI, long-lived, system data`, cliLongLived, system),
      ocrqSide('ocrq embedded (tesseract.js), system data', ['--lang-path', system], 'local'),
    );
  } else {
    details.notes.push('the system tesseract names no tessdata folder: system-data sides left out');
  }

  log(`engines: ${pageCount} pages, ${workers} workers, ${sides.length} sides x ${roundCount} rounds; warm-up (not counted)`);
  await runOcrq(inputs, { workers, engine: 'local' });
  await runOcrq(inputs, { workers, engine: 'native' });
  const measured = new Map(sides.map((s) => [s.label, []]));
  for (let r = 0; r < roundCount; r++) {
    for (const side of sides) {
      const loadBefore = load();
      const { result, cpu } = await withCpuAccounting(() => side.run());
      measured.get(side.label).push({ ...result, loadBefore, loadAfter: load(), otherCpuPercent: cpu?.otherCpuPercent ?? null });
      log(`engines: round ${r + 1}: ${side.label}: ${round(result.pagesPerSecond)} pages/s (wall ${(result.wallMs / 1000).toFixed(1)} s, load ${loadBefore[0]})`);
    }
  }

  const rows = [];
  const referenceRuns = measured.get(sides[0].label);
  for (const side of sides) {
    const runs = measured.get(side.label);
    const pps = median(runs.map((m) => m.pagesPerSecond));
    const cers = pages.map((p, i) => cer(p.truth, runs[0].texts[i] ?? ''));
    details.sides[side.label] = {
      pagesPerSecondMedian: round(pps),
      pagesPerSecond: runs.map((m) => round(m.pagesPerSecond)),
      wallMs: runs.map((m) => Math.round(m.wallMs)),
      loadavg1mBefore: runs.map((m) => m.loadBefore[0]),
      otherCpuPercent: runs.map((m) => m.otherCpuPercent),
      meanCer: round(meanOf(cers), 4),
      worstPageCer: round(Math.max(...cers), 4),
    };
    rows.push({
      case: side.label,
      ocrq: `${round(pps)} pages/s`,
      baseline: `CER ${pct(meanOf(cers))}`,
      // Each round's ratio to the reference side of the same round; the median of the rounds', with their range.
      ...ratioFields(ratioStats(runs.map((m, k) => m.pagesPerSecond / referenceRuns[k].pagesPerSecond))),
      target: 'report',
      met: null,
    });
  }
  details.machine.loadavgAtEnd = load();
  details.notes.push(`ratio: pages/s against "${sides[0].label}"; ocrq sides include start-up and PDF rendering, CLI sides get pre-rendered PNGs`);
  return { rows, details };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' } } });
  run({ quick: values.quick, rounds: values.rounds ? Number(values.rounds) : undefined }).then(
    ({ rows, details }) => {
      for (const r of rows) console.log(`${r.case}: ${r.ocrq}, ${r.baseline}, x${r.ratio}`);
      console.log(JSON.stringify(details, null, 2));
    },
    (err) => {
      console.error(`engines: ${err.stack ?? err}`);
      process.exitCode = 1;
    },
  );
}
