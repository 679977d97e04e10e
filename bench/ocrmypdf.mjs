// A mixed PDF batch (born-digital, image-only, mixed pages) through `ocrq submit` (one process for the whole folder),
// with the embedded engine and, where the system's tesseract is installed, with `--engine native`, and through
// OCRmyPDF run as its documentation suggests for batches: one process per file, files one after another,
// `--skip-text --output-type none --sidecar OUT.txt -j N in.pdf -`. All use the same traineddata (OCRmyPDF through
// TESSDATA_PREFIX, the native engine through --lang-path). Each round runs every side, in an order that rotates from
// round to round; wall times are medians over the rounds, with their range. Also reports whether the texts agree
// (character error rate per file between ocrq's text and OCRmyPDF's sidecar on the pages both OCRed).
// Run after `npm run build`:   node bench/ocrmypdf.mjs [--quick]
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratioFields, ratioStats } from './lib/stats.mjs';
import { DOCS_DIR, ensureCorpus } from './lib/ocr-corpus.mjs';
import {
  cer, checkBuild, CORPUS_ROOT, median, pagesBySource, round, runOcrq, withCpuAccounting,
} from './lib/ocr-measure.mjs';
import { ensureDebianTool, linkSystemConfigs, prepareTessdata, runProcess, toolVersion, which } from './lib/ocr-tools.mjs';

export const name = 'ocrmypdf';
export const description = 'Mixed PDF batch wall time: ocrq (one process, worker pool) vs OCRmyPDF (one process per file, -j N); text agreement';

/** ocrq must finish the batch at least this many times faster. */
export const TARGET_SPEEDUP = 3;
/** Share of the machine's CPU used by processes other than ours above which a run is flagged. */
const OTHER_CPU_WARN_PERCENT = 10;

/**
 * Per file: page kinds, `t` = text layer, `s` = scanned (image only). 3 rounds of every side in rotating order;
 * --quick keeps its cost with a smaller batch.
 */
const BATCHES = {
  quick: { files: ['t', 's', 'ts'], rounds: 3 },
  full: { files: ['tt', 'tt', 'ttt', 'ss', 'ss', 'ss', 's', 'ts', 'tst', 'st'], rounds: 3 },
};

function corpusSpec(batch) {
  let id = 2000;
  return batch.files.map((kinds, i) => {
    const kind = kinds.includes('s') ? (kinds.includes('t') ? 'mixed' : 'scanned') : 'born';
    return {
      name: `${kind}-${String(i + 1).padStart(2, '0')}.pdf`,
      kind: 'pdf',
      pages: [...kinds].map((k) => ({ id: id++, scanned: k === 's' })),
    };
  });
}

function ocrmypdfArgs(pdf, sidecar, jobs) {
  return ['--skip-text', '--output-type', 'none', '--sidecar', sidecar, '-j', String(jobs), '--tesseract-oem', '1', '-q', pdf, '-'];
}

async function runOcrmypdf(files, docs, jobs, tessdata) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-ocrmypdf-'));
  const env = { ...process.env, TESSDATA_PREFIX: tessdata };
  try {
    const started = performance.now();
    const perFile = [];
    for (const file of files) {
      const sidecar = path.join(dir, `${file}.txt`);
      const r = await runProcess('ocrmypdf', ocrmypdfArgs(path.join(docs, file), sidecar, jobs), { env });
      if (r.code !== 0) throw new Error(`ocrmypdf failed on ${file} (exit ${r.code}): ${r.stderr.trim().slice(-400)}`);
      perFile.push({ file, ms: Math.round(r.ms) });
    }
    const wallMs = performance.now() - started;
    const sidecars = {};
    for (const f of await readdir(dir)) sidecars[f.slice(0, -'.txt'.length)] = await readFile(path.join(dir, f), 'utf8');
    return { wallMs, perFile, sidecars };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// OCRmyPDF writes this in place of a page it did not OCR.
const SKIPPED_PAGE = /^\s*\[OCR skipped on page/u;

/** Per file: CER between ocrq and the sidecar on pages OCRmyPDF OCRed, and each side against the generated text. */
function compareTexts(truth, ocrqPages, sidecars) {
  const files = [];
  for (const [file, { pages }] of Object.entries(truth)) {
    const sidePages = (sidecars[file] ?? '').split('\f');
    const mine = ocrqPages[file] ?? [];
    const agree = [];
    const ocrqVsTruth = [];
    const sideVsTruth = [];
    pages.forEach((expected, i) => {
      const ours = mine[i]?.text ?? '';
      ocrqVsTruth.push(cer(expected.text, ours));
      const theirs = sidePages[i] ?? '';
      if (!expected.scanned || SKIPPED_PAGE.test(theirs)) return;
      agree.push(cer(theirs, ours));
      sideVsTruth.push(cer(expected.text, theirs));
    });
    files.push({
      file,
      pages: pages.length,
      ocrPages: agree.length,
      cerOcrqVsOcrmypdf: agree.length ? round(mean(agree), 4) : null,
      cerOcrqVsTruth: round(mean(ocrqVsTruth), 4),
      cerOcrmypdfVsTruth: sideVsTruth.length ? round(mean(sideVsTruth), 4) : null,
    });
  }
  return files;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function run({ log = (line) => process.stderr.write(`${line}\n`), quick = false } = {}) {
  checkBuild('ocrmypdf', log);
  const batch = quick ? BATCHES.quick : BATCHES.full;
  const workers = Math.max(1, os.availableParallelism());
  const corpusDir = path.join(CORPUS_ROOT, quick ? 'ocrmypdf-quick' : 'ocrmypdf-full');
  const truth = ensureCorpus(corpusDir, corpusSpec(batch));
  const docs = path.join(corpusDir, DOCS_DIR);
  const files = Object.keys(truth).sort();
  const allPages = Object.values(truth).flatMap((t) => t.pages);
  const scannedPages = allPages.filter((p) => p.scanned).length;
  const details = {
    machine: { cpus: workers, model: os.cpus()[0]?.model, node: process.version },
    corpus: { dir: path.relative(process.cwd(), corpusDir), files: files.length, pages: allPages.length, scannedPages },
    workers,
    runs: [],
    notes: [],
  };

  const tool = await ensureDebianTool('ocrmypdf', 'ocrmypdf', log);
  const tessdata = prepareTessdata(path.join(CORPUS_ROOT, 'tessdata'));
  if (tool.path) {
    linkSystemConfigs(tessdata.dir);
    details.ocrmypdf = {
      tool: tool.path, installedNow: tool.installed, version: await toolVersion('ocrmypdf'), tesseract: await toolVersion('tesseract'),
      args: ocrmypdfArgs('IN.pdf', 'OUT.txt', workers).join(' '), env: `TESSDATA_PREFIX=${tessdata.dir}`,
    };
  } else {
    details.notes.push(`OCRmyPDF unavailable: ${tool.note}; ocrq reported alone`);
    log(`ocrmypdf: ${tool.note}`);
  }

  const native = which('tesseract') !== null;
  if (!native) details.notes.push('the system tesseract is not installed: --engine native left out');
  const ocrqSide = (engine, extraArgs) => async () => {
    const { result: o, cpu } = await withCpuAccounting(() => runOcrq([docs], { workers, engine, extraArgs }));
    if (o.summary.completed !== files.length) throw new Error(`ocrq --engine ${engine} completed ${o.summary.completed} of ${files.length} PDFs`);
    return { run: o, record: { wallMs: Math.round(o.wallMs), elapsedMs: o.summary.elapsed_ms, pages: o.summary.pages, cpu } };
  };
  const sides = [
    { name: 'ocrq', label: 'ocrq (embedded engine)', run: ocrqSide('local', []) },
    ...(native ? [{ name: 'native', label: 'ocrq --engine native', run: ocrqSide('native', ['--lang-path', tessdata.dir]) }] : []),
    ...(tool.path ? [{
      name: 'ocrmypdf',
      label: 'OCRmyPDF',
      run: async () => {
        const { result: b, cpu } = await withCpuAccounting(() => runOcrmypdf(files, docs, workers, tessdata.dir));
        return { run: b, record: { wallMs: Math.round(b.wallMs), perFile: b.perFile, cpu } };
      },
    }] : []),
  ];

  log('ocrmypdf: warm-up (not counted)');
  await runOcrq([docs], { workers });
  if (native) await runOcrq([docs], { workers, engine: 'native', extraArgs: ['--lang-path', tessdata.dir] });
  if (tool.path) await runOcrmypdf(files.slice(0, 1), docs, workers, tessdata.dir);

  const runs = Object.fromEntries(sides.map((side) => [side.name, []]));
  for (let r = 0; r < batch.rounds; r++) {
    // Each side goes first in turn, so that none always meets the same neighbours on a shared machine.
    const order = sides.map((_, i) => sides[(i + r) % sides.length]);
    for (const side of order) {
      const { run: result, record } = await side.run();
      runs[side.name].push(result);
      details.runs.push({ side: side.name, round: r + 1, ...record });
      log(`ocrmypdf: ${side.label} round ${r + 1}: wall ${record.wallMs} ms`);
    }
  }

  const shared = details.runs.filter((r) => (r.cpu?.otherCpuPercent ?? 0) > OTHER_CPU_WARN_PERCENT);
  if (shared.length) {
    const note = `other processes (or hypervisor steal) used over ${OTHER_CPU_WARN_PERCENT}% of the machine's CPU in ${shared.length} of ${details.runs.length} runs: figures are skewed`;
    details.notes.push(note);
    log(`ocrmypdf: warning: ${note}`);
  }
  const walls = (name) => (runs[name] ?? []).map((r) => r.wallMs);
  const baseWalls = walls('ocrmypdf');
  const baseWall = baseWalls.length ? median(baseWalls) : null;
  const secs = (ms) => (ms / 1000).toFixed(1);
  const spread = (ms) => (ms.length > 1 ? ` (rounds ${ms.map(secs).join(', ')})` : '');
  const rows = [];
  details.wall = { ocrmypdfMs: baseWall === null ? null : Math.round(baseWall), rounds: batch.rounds };
  for (const side of sides.filter((x) => x.name !== 'ocrmypdf')) {
    const own = walls(side.name);
    const wall = median(own);
    // Per round: OCRmyPDF's wall time over this side's, both from the same round.
    const speedups = ratioStats(baseWalls.map((ms, i) => ms / own[i]));
    const speedup = baseWall === null ? null : speedups.median;
    rows.push({
      case: `mixed PDF batch, ${side.label}: ${files.length} PDFs, ${allPages.length} pages (${scannedPages} image-only), ${workers} cores`,
      ocrq: `${secs(wall)} s wall${spread(own)}`,
      baseline: baseWall === null ? 'n/a (OCRmyPDF unavailable)' : `${secs(baseWall)} s wall${spread(baseWalls)} (OCRmyPDF, file by file, -j ${workers})`,
      ...(speedup === null ? { ratio: 'n/a' } : ratioFields(speedups)),
      target: `≥ ${TARGET_SPEEDUP}× faster`,
      met: speedup === null ? null : speedup >= TARGET_SPEEDUP,
    });
    details.wall[`${side.name}Ms`] = Math.round(wall);
    details.wall[`${side.name}Speedup`] = speedups;
  }
  const ocrqRuns = runs.ocrq;
  const baseRuns = runs.ocrmypdf ?? [];

  const ocrqPages = pagesBySource(ocrqRuns[0].rows, docs);
  if (baseRuns.length) {
    const perFile = compareTexts(truth, ocrqPages, baseRuns[0].sidecars);
    details.textAgreement = perFile;
    const compared = perFile.filter((f) => f.cerOcrqVsOcrmypdf !== null);
    const worst = compared.reduce((w, f) => (f.cerOcrqVsOcrmypdf > (w?.cerOcrqVsOcrmypdf ?? -1) ? f : w), null);
    rows.push({
      case: `text agreement: CER ocrq vs OCRmyPDF sidecar (${compared.length} files with OCRed pages)`,
      ocrq: `mean CER vs truth ${(100 * mean(perFile.map((f) => f.cerOcrqVsTruth))).toFixed(2)}%`,
      baseline: `mean CER vs truth ${(100 * mean(compared.map((f) => f.cerOcrmypdfVsTruth))).toFixed(2)}%`,
      ratio: `ocrq vs OCRmyPDF: mean ${(100 * mean(compared.map((f) => f.cerOcrqVsOcrmypdf))).toFixed(2)}%, worst ${worst ? `${(100 * worst.cerOcrqVsOcrmypdf).toFixed(2)}% (${worst.file})` : 'n/a'}`,
      target: 'info',
      met: null,
    });
  }
  return { rows, details };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run({ quick: process.argv.includes('--quick') }).then(
    ({ rows, details }) => {
      for (const r of rows) {
        console.log(`${r.case}\n  ocrq: ${r.ocrq}\n  baseline: ${r.baseline}\n  ratio: ${r.ratio}  target: ${r.target}  met: ${r.met}`);
      }
      console.log(JSON.stringify(details, null, 2));
    },
    (err) => {
      console.error(`ocrmypdf: ${err.stack ?? err}`);
      process.exitCode = 1;
    },
  );
}
