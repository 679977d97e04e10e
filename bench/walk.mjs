// Walk and hash: wall time of `ocrq submit DIR --dry-run` (walk, sniff, hash, dedupe) over many small files in
// nested folders, against `find | xargs sha256sum`, which walks and hashes the same files and does nothing else.
// Two cases, 3 rounds each, alternating ocrq and the baseline: warm (the corpus read just before each run) and cold
// (each run on a copy of the corpus written just before it). The ratio is the median of the rounds' ratios.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCorpus, fillerText, pngHeaderFile } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { alternate, median, ratioFields, ratioStats, round } from './lib/stats.mjs';

export const name = 'walk';
export const description = 'ocrq submit --dry-run over 100,000 small files vs find | xargs sha256sum, warm and just written';

export const FILES_PER_DIR = 100;
const ROUNDS = 3;
/** Warm: within 1.3x of the baseline; cold (files just written): no slower than it. */
const TARGET_RATIO = 1.3;
const TARGET_COLD_RATIO = 1.0;
const BASELINE_SCRIPT = 'find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null';
/**
 * Read before every measured run: the kernel here pages out file data idle for a few seconds (DAMON reclaim), so
 * without it each tool would find a different share of the corpus on disk and the ratio would measure the disk.
 */
const WARM_SCRIPT = 'find "$1" -type f -print0 | xargs -0 cat > /dev/null';

/** Half PNG headers, half text, a few hundred bytes each, every content distinct (the shard benchmark walks it too). */
export const fileName = (i) => (i % 2 === 0 ? `scan-${i}.png` : `note-${i}.txt`);
export const content = (i) => {
  const length = 200 + ((i * 37) % 300);
  return i % 2 === 0 ? pngHeaderFile(i, length) : Buffer.from(fillerText(i, length), 'latin1');
};

export async function run({ log, quick }) {
  const files = quick ? 10_000 : 100_000;
  const corpus = await ensureCorpus(`walk-${files}`, { dirs: files / FILES_PER_DIR, perDir: FILES_PER_DIR, fileName, content, log });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-walk-'));
  let warm, cold;
  try {
    const warmUp = () => runMeasured('sh', ['-c', WARM_SCRIPT, 'sh', corpus.dir], { outBase: path.join(tmp, 'warm') });
    const ocrq = async (dir, label) => {
      const r = await runMeasured(process.execPath, [path.join(repoRoot, 'bin/ocrq.js'), 'submit', dir, '--dry-run', '--json', '--out', path.join(tmp, `${label}.jsonl`)], { cwd: tmp, outBase: path.join(tmp, label), peakRss: true });
      const summary = await lastEvent(r.stdoutFile, 'summary');
      if (!summary || summary.files !== files) throw new Error(`ocrq --dry-run: exit ${r.code}, summary ${JSON.stringify(summary)}: ${await tail(r.stderrFile)}`);
      await rm(r.stdoutFile, { force: true });
      return { seconds: round(r.wallMs / 1000, 3), cpuSeconds: r.cpuSeconds, exitCode: r.code, documents: summary.documents, skipped: summary.skipped };
    };
    const baseline = async (dir, label) => {
      const r = await runMeasured('sh', ['-c', BASELINE_SCRIPT, 'sh', dir], { outBase: path.join(tmp, label), peakRss: true });
      if (r.code !== 0) throw new Error(`baseline exited ${r.code}: ${await tail(r.stderrFile)}`);
      return { seconds: round(r.wallMs / 1000, 3), cpuSeconds: r.cpuSeconds };
    };
    log(`warm: ${ROUNDS} rounds, the corpus read before every run`);
    warm = await alternate(
      ROUNDS,
      {
        ocrq: async (k) => (await warmUp(), ocrq(corpus.dir, `warm-ocrq-${k}`)),
        baseline: async (k) => (await warmUp(), baseline(corpus.dir, `warm-baseline-${k}`)),
      },
      (k, r) => log(`  warm round ${k + 1}: ocrq ${r.ocrq.seconds} s, find | sha256sum ${r.baseline.seconds} s, ratio ${round(r.ocrq.seconds / r.baseline.seconds, 3)}`),
    );
    // Cold: each run reads a copy of the corpus written just before it, as a run right after the files arrived.
    const fresh = async (label) => {
      const dir = path.join(tmp, label);
      await runMeasured('cp', ['-r', corpus.dir, dir], { outBase: path.join(tmp, `${label}-copy`) });
      return dir;
    };
    const coldRun = (measure, label) => async (k) => {
      const dir = await fresh(`${label}-${k}`);
      try {
        return await measure(dir, `cold-${label}-${k}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    log(`cold: ${ROUNDS} rounds, each run on a copy of the corpus written just before it`);
    cold = await alternate(ROUNDS, { ocrq: coldRun(ocrq, 'ocrq'), baseline: coldRun(baseline, 'baseline') }, (k, r) =>
      log(`  cold round ${k + 1}: ocrq ${r.ocrq.seconds} s, find | sha256sum ${r.baseline.seconds} s, ratio ${round(r.ocrq.seconds / r.baseline.seconds, 3)}`),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const label = files.toLocaleString('en-US');
  const row = (name, runs, target) => {
    const stats = ratioStats(runs.ocrq.map((r, k) => r.seconds / runs.baseline[k].seconds));
    const cells = (side) => `${round(median(runs[side].map((r) => r.seconds)), 2)} s (CPU ${round(median(runs[side].map((r) => r.cpuSeconds)), 2)} s)`;
    return { case: `walk+hash ${label} files, ${name} (median of ${ROUNDS} rounds)`, ocrq: cells('ocrq'), baseline: cells('baseline'), ...ratioFields(stats), target: `<= ${target}x`, met: stats.median !== null && stats.median <= target };
  };
  return {
    rows: [row('warm', warm, TARGET_RATIO), row('cold', cold, TARGET_COLD_RATIO)],
    details: {
      files,
      corpus: { dir: corpus.dir, reused: corpus.reused, generationMs: corpus.generationMs },
      baseline: BASELINE_SCRIPT,
      warm: { method: `before every measured run: ${WARM_SCRIPT}`, runs: warm },
      cold: { method: 'each measured run reads a copy of the corpus made with cp -r just before it', runs: cold },
    },
  };
}
