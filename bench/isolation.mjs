// Document workers: how local OCR scales from 1 to 2 workers on the OCR benchmark corpus, and the peak memory of a
// run over ordinary and hostile PDFs together with the default budgets. Run after `npm run build`:
//   node bench/run.mjs isolation [--quick]
// With OCRQ_BASELINE_BIN=/path/to/other/checkout/bin/ocrq.js the same scaling rounds also run that build, side by side
// (for "before and after" figures). Memory is the sum over the whole process tree (the run and its workers).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DOCS_DIR, ensureCorpus, letterCorpusSpec } from './lib/ocr-corpus.mjs';
import { checkBuild, CORPUS_ROOT, REPO } from './lib/ocr-measure.mjs';
import { mebibytes, median, ratioFields, ratioStats, round } from './lib/stats.mjs';
import { ensureDebianTool, prepareTessdata, runLimited, runProcess } from './lib/ocr-tools.mjs';
import { watchTreeRss } from './lib/tree-rss.mjs';

export const name = 'isolation';
export const description = 'Local OCR pages/s with 1 and 2 document workers (scaling), and peak memory over hostile PDFs';

/** Two workers must give at least this much of one worker's pages/s. */
export const SCALING_TARGET = 1.7;
/** Peak resident memory of a whole run with 2 workers over hostile documents. */
export const MEMORY_TARGET_MIB = 2048;

/** 3 rounds of every side; --quick keeps its cost with fewer pages. */
const SIZES = {
  quick: { images: 2, scanned: [2], rounds: 3, hostileRounds: 1 },
  full: { images: 12, scanned: [3, 3, 3, 3], rounds: 3, hostileRounds: 3 },
};


/** One `submit` with its summary, wall time and the peak memory of its process tree. */
function runSubmit(bin, inputs, args) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ocrq-bench-isolation-'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, 'submit', ...inputs, '--out', path.join(dir, 'm.jsonl'), '--json', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = watchTreeRss(child.pid, 50);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const peakKiB = stop();
      const wallMs = performance.now() - started;
      rmSync(dir, { recursive: true, force: true });
      const summary = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).findLast((e) => e.type === 'summary');
      if (!summary) return reject(new Error(`ocrq exited ${code} without a summary: ${stderr.trim().slice(-400)}`));
      resolve({ code, summary, wallMs, peakKiB });
    });
  });
}

export async function run({ log = (line) => process.stderr.write(`${line}\n`), quick = false } = {}) {
  checkBuild('isolation', log);
  const size = quick ? SIZES.quick : SIZES.full;
  const corpusDir = path.join(CORPUS_ROOT, quick ? 'isolation-quick' : 'isolation-full');
  const truth = ensureCorpus(corpusDir, letterCorpusSpec(size));
  const pages = Object.values(truth).reduce((n, t) => n + t.pages.length, 0);
  const inputs = [path.join(corpusDir, DOCS_DIR)];
  const builds = [{ label: 'ocrq', bin: path.join(REPO, 'bin', 'ocrq.js') }];
  if (process.env.OCRQ_BASELINE_BIN) builds.push({ label: 'baseline', bin: path.resolve(process.env.OCRQ_BASELINE_BIN) });
  const details = { machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, loadavg: os.loadavg().map((l) => round(l)) }, pages, runs: [] };

  // The machine's own scaling, for reference: native tesseract over the corpus's PNG pages, 1 and 2 processes.
  const tool = await ensureDebianTool('tesseract', 'tesseract-ocr', log);
  const tessdata = prepareTessdata(path.join(CORPUS_ROOT, 'tessdata'));
  const pngs = Object.keys(truth).filter((f) => f.endsWith('.png')).map((f) => path.join(corpusDir, DOCS_DIR, f));
  const native = async (processes) => {
    const started = performance.now();
    const out = mkdtempSync(path.join(os.tmpdir(), 'ocrq-bench-native-'));
    const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
    await runLimited(pngs.map((png, i) => () => runProcess('tesseract', [png, path.join(out, `p${i}`), '--tessdata-dir', tessdata.dir, '-l', 'eng', '--oem', '1', '--psm', '3'], { env })), processes);
    rmSync(out, { recursive: true, force: true });
    return pngs.length / ((performance.now() - started) / 1000);
  };

  log('isolation: warm-up run (not counted)');
  await runSubmit(builds[0].bin, inputs, ['--workers', '2']);
  const pps = {};
  for (let r = 0; r < size.rounds; r++) {
    // Alternating builds and worker counts in every round, so that a noisy minute hits all of them.
    for (const build of builds) {
      for (const workers of [1, 2]) {
        const res = await runSubmit(build.bin, inputs, ['--workers', String(workers)]);
        if (res.summary.pages !== pages) throw new Error(`${build.label}: ${res.summary.pages} pages OCRed, expected ${pages}`);
        const value = pages / (res.wallMs / 1000);
        (pps[`${build.label}/${workers}`] ??= []).push(value);
        details.runs.push({ build: build.label, workers, round: r + 1, pagesPerSecond: round(value), wallMs: Math.round(res.wallMs), peakTreeRssMiB: mebibytes(res.peakKiB) });
        log(`isolation: round ${r + 1} ${build.label} --workers ${workers}: ${round(value)} pages/s, peak ${mebibytes(res.peakKiB)} MiB`);
      }
    }
    if (tool.path) {
      for (const processes of [1, 2]) {
        const value = await native(processes);
        (pps[`native/${processes}`] ??= []).push(value);
        details.runs.push({ build: 'native tesseract', workers: processes, round: r + 1, pagesPerSecond: round(value) });
        log(`isolation: round ${r + 1} native tesseract x${processes}: ${round(value)} pages/s`);
      }
    }
  }
  if (tool.path) builds.push({ label: 'native' });
  const rows = [];
  for (const build of builds) {
    const one = median(pps[`${build.label}/1`]);
    const two = median(pps[`${build.label}/2`]);
    // Each round's scaling (2 workers over 1, in the same round); the median of the rounds'.
    const scalings = ratioStats(pps[`${build.label}/2`].map((v, i) => v / pps[`${build.label}/1`][i]));
    const scaling = scalings.median;
    details[build.label] = { pagesPerSecond1: round(one), pagesPerSecond2: round(two), scaling, scalingRounds: scalings.ratios };
    rows.push({
      case: {
        ocrq: `local OCR scaling, ${pages} pages, 2 workers vs 1 (wall, start-up included)`,
        baseline: `baseline build: local OCR scaling, ${pages} pages, 2 workers vs 1`,
        native: `machine reference: native tesseract, ${pngs.length} PNG pages, 2 processes vs 1`,
      }[build.label],
      ocrq: `${round(two)} pages/s`,
      baseline: `${round(one)} pages/s with 1`,
      ...ratioFields(scalings),
      target: build.label === 'native' ? '(what the machine allows)' : `≥ ${SCALING_TARGET}×`,
      met: build.label === 'native' ? null : scaling >= SCALING_TARGET,
    });
  }

  // Peak memory over ordinary and hostile PDFs, default budgets, 2 workers.
  const mixed = path.join(CORPUS_ROOT, 'isolation-hostile');
  rmSync(mixed, { recursive: true, force: true });
  mkdirSync(mixed, { recursive: true });
  const hostileDir = path.join(REPO, 'test', 'hostile-pdfs');
  for (const f of readdirSync(hostileDir).filter((f) => f.endsWith('.pdf'))) cpSync(path.join(hostileDir, f), path.join(mixed, f));
  cpSync(path.join(REPO, 'fixtures', 'pdfs'), path.join(mixed, 'pdfs'), { recursive: true });
  cpSync(path.join(REPO, 'fixtures', 'images'), path.join(mixed, 'images'), { recursive: true });
  const expected = JSON.parse(readFileSync(path.join(hostileDir, 'expected.json'), 'utf8'));
  // The hostile set cannot be made smaller: --quick runs it once, a full run size.hostileRounds times.
  const hostileRuns = [];
  for (let r = 0; r < size.hostileRounds; r++) {
    const res = await runSubmit(builds[0].bin, [mixed], ['--workers', '2']);
    const peakMiB = mebibytes(res.peakKiB);
    hostileRuns.push({ files: res.summary.files, exitCode: res.code, completed: res.summary.completed, failed: res.summary.failed, failures: res.summary.failures.map((f) => `${path.basename(f.source)} ${f.code}`), wallMs: Math.round(res.wallMs), peakTreeRssMiB: peakMiB });
    log(`isolation: hostile run ${r + 1}: exit ${res.code}, ${res.summary.completed} completed, ${res.summary.failed} failed, peak ${peakMiB} MiB, ${Math.round(res.wallMs / 1000)} s`);
  }
  details.hostile = { hostileFiles: Object.keys(expected.files).length, runs: hostileRuns };
  const peaks = hostileRuns.map((h) => h.peakTreeRssMiB);
  const worstPeak = Math.max(...peaks);
  rows.push({
    case: `run over ${hostileRuns[0].files} ordinary and hostile PDFs/images, 2 workers, default budgets (${hostileRuns.length} runs)`,
    ocrq: `peak ${round(median(peaks), 1)} MiB (whole process tree; worst ${worstPeak}), exit ${hostileRuns.map((h) => h.exitCode).join(', ')}`,
    baseline: '-',
    ...ratioFields(ratioStats(peaks.map((p) => p / MEMORY_TARGET_MIB))),
    target: `< ${MEMORY_TARGET_MIB} MiB, exit 3`,
    met: worstPeak < MEMORY_TARGET_MIB && hostileRuns.every((h) => h.exitCode === 3),
  });
  return { rows, details };
}
