// Walk and hash: wall time of `ocrq submit DIR --dry-run` (walk, sniff, hash, dedupe) over many small files in
// nested folders, against `find | xargs sha256sum`, which walks and hashes the same files and does nothing else.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCorpus, fillerText, pngHeaderFile } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { median, round } from './lib/stats.mjs';

export const name = 'walk';
export const description = 'ocrq submit --dry-run over 100,000 small files vs find | xargs sha256sum';

export const FILES_PER_DIR = 100;
const ROUNDS = 3;
const TARGET_RATIO = 1.3;
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
  const runs = { ocrq: [], baseline: [] };
  try {
    const warm = () => runMeasured('sh', ['-c', WARM_SCRIPT, 'sh', corpus.dir], { outBase: path.join(tmp, 'warm') });
    const baseline = async (k) => {
      await warm();
      return runMeasured('sh', ['-c', BASELINE_SCRIPT, 'sh', corpus.dir], { outBase: path.join(tmp, `baseline-${k}`) });
    };
    for (let k = 0; k < ROUNDS; k += 1) {
      const manifest = path.join(tmp, `m-${k}.jsonl`);
      await warm();
      const ocrq = await runMeasured(process.execPath, [path.join(repoRoot, 'bin/ocrq.js'), 'submit', corpus.dir, '--dry-run', '--json', '--out', manifest], { cwd: tmp, outBase: path.join(tmp, `ocrq-${k}`) });
      const summary = await lastEvent(ocrq.stdoutFile, 'summary');
      if (!summary || summary.files !== files) throw new Error(`ocrq --dry-run: exit ${ocrq.code}, summary ${JSON.stringify(summary)}: ${await tail(ocrq.stderrFile)}`);
      runs.ocrq.push({ seconds: round(ocrq.wallMs / 1000, 3), exitCode: ocrq.code, documents: summary.documents, skipped: summary.skipped });
      const base = await baseline(k);
      if (base.code !== 0) throw new Error(`baseline exited ${base.code}: ${await tail(base.stderrFile)}`);
      runs.baseline.push({ seconds: round(base.wallMs / 1000, 3) });
      log(`  walk round ${k + 1}: ocrq ${runs.ocrq[k].seconds} s, find | sha256sum ${runs.baseline[k].seconds} s`);
      await rm(ocrq.stdoutFile, { force: true });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const ocrqMedian = median(runs.ocrq.map((r) => r.seconds));
  const baselineMedian = median(runs.baseline.map((r) => r.seconds));
  const ratio = round(ocrqMedian / baselineMedian, 3);
  return {
    rows: [{ case: `walk+hash ${files.toLocaleString('en-US')} files (median of ${ROUNDS})`, ocrq: `${round(ocrqMedian, 2)} s`, baseline: `${round(baselineMedian, 2)} s`, ratio, target: `<= ${TARGET_RATIO}x`, met: ratio <= TARGET_RATIO }],
    details: { files, corpus: { dir: corpus.dir, reused: corpus.reused, generationMs: corpus.generationMs }, baseline: BASELINE_SCRIPT, warmup: `before every measured run: ${WARM_SCRIPT}`, runs, ocrqMedianSeconds: ocrqMedian, baselineMedianSeconds: baselineMedian },
  };
}
