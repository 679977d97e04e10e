// Merging shard manifests at scale: `ocrq merge` over 4 manifests of 250,000 lines each (--quick: 25,000), as
// four machines running `submit --shard K/4` would leave them, with about 5% of each shard's contents also held
// by the next shard (completed there, or failed in one of them). Measures wall time and peak RSS against the
// memory target, and checks the merged manifest's counts. The baseline is `cat` of the same files: the time to
// read them once, a floor for any merge. 3 rounds, alternating cat and merge; ratios are medians of the rounds'.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../scripts/lib/prng.mjs';
import { CORPUS_ROOT } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { alternate, mebibytes, median, ratioFields, ratioStats, round } from './lib/stats.mjs';

export const name = 'merge';
export const description = 'ocrq merge of 4 shard manifests x 250,000 lines (5% shared contents): time and peak RSS';

const SHARDS = 4;
const RSS_LIMIT_MIB = 300;
/** Rounds, each cat then merge; the memory bound must hold in every one. */
const ROUNDS = 3;
/** One row in this many holds a content the next shard holds too. */
const SHARED_EVERY = 20;
const VERSION = 1;

const sha = (shard, i) => createHash('sha256').update(`shard ${shard} document ${i}`).digest('hex');
const ts = (second) => new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString();

/**
 * Shard k's manifest: one line per job, a local engine's `completed` row with a few hundred bytes of text, and
 * every tenth job preceded by its `processing` line. Every SHARED_EVERY-th job is shard k+1's next content (another
 * path to the same bytes); a tenth of those failed here, so the merge must pick shard k+1's completed job.
 */
async function writeShard(file, shard, rows) {
  const random = mulberry32(1000 + shard);
  const out = createWriteStream(file);
  let lines = 0;
  const write = async (row) => {
    lines += 1;
    if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
  };
  for (let i = 0; lines < rows; i += 1) {
    const shared = i % SHARED_EVERY === 0;
    const digest = shared ? sha((shard + 1) % SHARDS, i + 1) : sha(shard, i);
    const source = `/data/in/folder-${Math.floor(i / 1000)}/shard-${shard}-doc-${i}.pdf`;
    const base = { job_id: `local_${digest.slice(0, 32)}`, source, sources: [source], sha256: digest, target: 'local' };
    if (i % 10 === 0 && lines + 1 < rows) await write({ ...base, status: 'processing', ts: ts(i), type: 'pdf', mime: 'application/pdf', bytes: 20_000, unfinished_attempts: 1 });
    const failed = shared && i % (SHARED_EVERY * 10) === 0;
    const words = Array.from({ length: 40 }, () => Math.floor(random() * 1e6).toString(36)).join(' ');
    await write(
      failed
        ? { ...base, status: 'failed', ts: ts(i + 1), type: 'pdf', mime: 'application/pdf', bytes: 20_000, elapsed_ms: 900, error: { code: 'OCR_FAILED', message: `${source}: OCR failed`, category: 'engine' } }
        : { ...base, status: 'completed', ts: ts(i + 1 + shard), type: 'pdf', mime: 'application/pdf', bytes: 20_000, elapsed_ms: 900, pages: 1, text: words, result: { engine: 'tesseract.js', lang: 'eng', dpi: 300, pages: [{ page: 1, source: 'ocr', confidence: 91, text: words }] } },
    );
  }
  out.end();
  await once(out, 'finish');
}

async function ensureShards(rows, log) {
  const dir = path.join(CORPUS_ROOT, `merge-${SHARDS}x${rows}`);
  const marker = `${dir}.complete.json`;
  if (existsSync(marker)) {
    const info = JSON.parse(await readFile(marker, 'utf8'));
    if (info.version === VERSION) return { dir, ...info, reused: true };
  }
  log(`generating ${SHARDS} shard manifests of ${rows} lines (once; reused afterwards)`);
  const started = performance.now();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < SHARDS; k += 1) await writeShard(path.join(dir, `shard-${k}.jsonl`), k, rows);
  const info = { version: VERSION, rows, generationMs: Math.round(performance.now() - started) };
  await writeFile(marker, `${JSON.stringify(info)}\n`);
  return { dir, ...info, reused: false };
}

export async function run({ log, quick }) {
  const rows = quick ? 25_000 : 250_000;
  const shards = await ensureShards(rows, log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-merge-'));
  try {
    const inputs = Array.from({ length: SHARDS }, (_, k) => path.join(shards.dir, `shard-${k}.jsonl`));
    log(`${ROUNDS} rounds: cat of the shard manifests (the time to read them once), then ocrq merge of ${SHARDS} x ${rows} lines`);
    const runs = await alternate(
      ROUNDS,
      {
        cat: async (k) => {
          const cat = await runMeasured('cat', inputs, { cwd: tmp, outBase: path.join(tmp, `cat-${k}`) });
          await rm(cat.stdoutFile, { force: true });
          return { wallSeconds: round(cat.wallMs / 1000, 2) };
        },
        merge: async (k) => {
          const out = path.join(tmp, `merged-${k}.jsonl`);
          const merged = await runMeasured(process.execPath, [path.join(repoRoot, 'bin/ocrq.js'), 'merge', ...inputs, '-o', out, '--json'], { cwd: tmp, outBase: path.join(tmp, `merge-${k}`), peakRss: true });
          const summary = await lastEvent(merged.stdoutFile, 'summary');
          if (!summary) throw new Error(`merge: exit ${merged.code}, no summary: ${await tail(merged.stderrFile)}`);
          await rm(out, { force: true });
          return { wallSeconds: round(merged.wallMs / 1000, 2), cpuSeconds: merged.cpuSeconds, peakRssMiB: mebibytes(merged.peakRssKiB), exitCode: merged.code, rssMethod: merged.rssMethod, summary };
        },
      },
      (k, r) => log(`  round ${k + 1}: cat ${r.cat.wallSeconds} s, merge ${r.merge.wallSeconds} s, ${r.merge.peakRssMiB} MiB`),
    );
    const time = ratioStats(runs.merge.map((m, k) => m.wallSeconds / runs.cat[k].wallSeconds), 1);
    const rss = ratioStats(runs.merge.map((m) => m.peakRssMiB / RSS_LIMIT_MIB));
    const worstMib = Math.max(...runs.merge.map((m) => m.peakRssMiB));
    const med = (side, key) => round(median(runs[side].map((r) => r[key])), 2);
    const n = (SHARDS * rows).toLocaleString('en-US');
    const rowsOut = [
      { case: `merge ${SHARDS} x ${rows.toLocaleString('en-US')} lines: wall time (median of ${ROUNDS})`, ocrq: `${med('merge', 'wallSeconds')} s`, baseline: `cat: ${med('cat', 'wallSeconds')} s`, ...ratioFields(time), target: 'report', met: null },
      { case: `merge of ${n} lines: peak RSS (median of ${ROUNDS}, worst ${worstMib} MiB)`, ocrq: `${med('merge', 'peakRssMiB')} MiB`, baseline: '-', ...ratioFields(rss), target: `< ${RSS_LIMIT_MIB} MiB`, met: worstMib < RSS_LIMIT_MIB && runs.merge.every((m) => m.exitCode === 0) },
    ];
    return {
      rows: rowsOut,
      details: {
        shards: SHARDS,
        linesPerShard: rows,
        rounds: ROUNDS,
        corpus: { dir: shards.dir, reused: shards.reused, generationSeconds: round(shards.generationMs / 1000, 1) },
        runs,
      },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
