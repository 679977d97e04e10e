// Sharding (`submit --shard K/N`, README "Running on many machines"): one shard of 4 over the walk benchmark's
// 100,000 files must read about a quarter of them and take at most 0.35x the unsharded `--dry-run`'s wall time
// (every shard still lists every folder); and how even the shards are, as largest / mean, on fixtures/ and on the
// 100,000 files, for N from 2 to 7, through the real walk (dist/walk/walk.js).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureCorpus } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { median, ratioFields, ratioStats, round } from './lib/stats.mjs';
import { FILES_PER_DIR, content, fileName } from './walk.mjs';

export const name = 'shard';
export const description = 'submit --dry-run --shard K/4 over 100,000 files vs unsharded: share read, wall time; shard balance for N = 2..7';

const SHARDS = 4;
const ROUNDS = 3;
const TARGET_TIME_RATIO = 0.35;
/** A shard's share of the inputs may differ from 1/N by this much (binomial spread at 100,000 files is about 0.0014). */
const SHARE_TOLERANCE = 0.01;
/** As in walk.mjs: the kernel pages out idle file data here, so the corpus is read before every measured run. */
const WARM_SCRIPT = 'find "$1" -type f -print0 | xargs -0 cat > /dev/null';

/** Inputs and bytes of every shard of `count`, and of the whole, through the real walk (nothing processed). */
async function walkShares(args, cwd, counts) {
  const { walkInputs } = await import(pathToFileURL(path.join(repoRoot, 'dist/walk/walk.js')).href);
  const { DEFAULT_ZIP_LIMITS } = await import(pathToFileURL(path.join(repoRoot, 'dist/walk/zip.js')).href);
  const walk = async (shard) => {
    let inputs = 0;
    let bytes = 0;
    for await (const item of walkInputs(args, { cwd, include: [], exclude: [], maxFileSize: 50 * 1024 * 1024, zipLimits: DEFAULT_ZIP_LIMITS, shard })) {
      inputs += 1;
      if (item.kind === 'document') bytes += item.size;
    }
    return { inputs, bytes };
  };
  const whole = await walk(undefined);
  const byCount = {};
  for (const count of counts) {
    const shards = [];
    for (let index = 0; index < count; index += 1) shards.push(await walk({ index, count }));
    const sum = shards.reduce((s, x) => s + x.inputs, 0);
    if (sum !== whole.inputs) throw new Error(`shards of ${count} hold ${sum} inputs, the whole walk ${whole.inputs}`);
    const balance = (key) => round(Math.max(...shards.map((s) => s[key])) / (shards.reduce((s, x) => s + x[key], 0) / count), 3);
    byCount[count] = { inputs: shards.map((s) => s.inputs), balanceInputs: balance('inputs'), balanceBytes: balance('bytes') };
  }
  return { whole, byCount };
}

const balanceCell = (byCount) => Object.entries(byCount).map(([n, b]) => `${n}:${b.balanceInputs}`).join(' ');

export async function run({ log, quick }) {
  const files = quick ? 10_000 : 100_000;
  const rounds = ROUNDS;
  const corpus = await ensureCorpus(`walk-${files}`, { dirs: files / FILES_PER_DIR, perDir: FILES_PER_DIR, fileName, content, log });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-shard-'));
  const warm = () => runMeasured('sh', ['-c', WARM_SCRIPT, 'sh', corpus.dir], { outBase: path.join(tmp, 'warm') });
  const dryRun = async (label, extra) => {
    await warm();
    const r = await runMeasured(process.execPath, [path.join(repoRoot, 'bin/ocrq.js'), 'submit', corpus.dir, '--dry-run', '--json', '--out', path.join(tmp, 'm.jsonl'), ...extra], { cwd: tmp, outBase: path.join(tmp, label), peakRss: true });
    const summary = await lastEvent(r.stdoutFile, 'summary');
    if (r.code !== 0 || !summary) throw new Error(`${label}: exit ${r.code}: ${await tail(r.stderrFile)}`);
    await rm(r.stdoutFile, { force: true });
    return { seconds: round(r.wallMs / 1000, 3), cpuSeconds: r.cpuSeconds, files: summary.files, bytes: summary.bytes, shard: summary.shard ?? null };
  };
  const runs = { whole: [], shards: [] };
  let details;
  try {
    for (let k = 0; k < rounds; k += 1) {
      const whole = await dryRun(`whole-${k}`, []);
      if (whole.files !== files) throw new Error(`unsharded dry run saw ${whole.files} inputs, not ${files}`);
      runs.whole.push(whole);
      const shards = [];
      for (let index = 0; index < SHARDS; index += 1) shards.push(await dryRun(`shard-${k}-${index}`, ['--shard', `${index}/${SHARDS}`]));
      runs.shards.push(shards);
      log(`  round ${k + 1}: unsharded ${whole.seconds} s (${whole.cpuSeconds} s CPU); shards ${shards.map((s) => `${s.shard} ${s.seconds} s (${s.cpuSeconds} s CPU, ${s.files} inputs)`).join(', ')}`);
    }
    log('  balance through the real walk, N = 2..7: fixtures/, then the corpus');
    const counts = [2, 3, 4, 5, 6, 7];
    const fixtures = await walkShares(['fixtures'], repoRoot, counts);
    await warm();
    const corpusShares = await walkShares([corpus.dir], tmp, counts);
    details = { files, corpus: { dir: corpus.dir, reused: corpus.reused }, warmup: WARM_SCRIPT, runs, balance: { fixtures, corpus: corpusShares } };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  // Each round's ratio: its shards' median wall time over that round's unsharded run, which ran just before them.
  const roundRatios = ratioStats(runs.shards.map((shards, k) => median(shards.map((r) => r.seconds)) / runs.whole[k].seconds));
  const wholeSeconds = median(runs.whole.map((r) => r.seconds));
  const shardSeconds = median(runs.shards.flat().map((r) => r.seconds));
  const slowestShard = Math.max(...runs.shards.flat().map((r) => r.seconds));
  const timeRatio = roundRatios.median;
  // CPU time (user + system) moves less than wall time when other work shares the machine.
  const wholeCpu = median(runs.whole.map((r) => r.cpuSeconds));
  const shardCpu = median(runs.shards.flat().map((r) => r.cpuSeconds));
  const cpuRatio = wholeCpu && shardCpu ? round(shardCpu / wholeCpu, 3) : null;
  const lastRound = runs.shards.at(-1);
  const shares = lastRound.map((s) => round(s.files / files, 4));
  const byteShares = lastRound.map((s) => round(s.bytes / runs.whole.at(-1).bytes, 4));
  const sharesMet = shares.every((s) => Math.abs(s - 1 / SHARDS) <= SHARE_TOLERANCE);
  const n4 = (b) => b.byCount[SHARDS];
  const label = files.toLocaleString('en-US');
  // What a shard spends beyond its quarter of the work: start-up, listing every folder, hashing every key.
  details.summary = { wholeSeconds, shardSeconds, slowestShard, timeRatio, wholeCpu, shardCpu, cpuRatio, shares, byteShares, overheadCpuSeconds: wholeCpu && shardCpu ? round(shardCpu - wholeCpu / SHARDS, 3) : null };
  return {
    rows: [
      {
        case: `shard ${SHARDS} of ${label} files: inputs read (files), per shard / all`,
        ocrq: `${lastRound.map((s) => s.files).join(', ')} (${shares.join(', ')}); bytes ${byteShares.join(', ')}`,
        baseline: `unsharded ${files}`,
        ratio: round(Math.max(...shares) * SHARDS, 3),
        target: `each 1/${SHARDS} +- ${SHARE_TOLERANCE}`,
        met: sharesMet,
      },
      {
        case: `shard ${SHARDS} of ${label} files: --dry-run wall time (median of ${rounds * SHARDS} shard runs, ${rounds} unsharded)`,
        ocrq: `${round(shardSeconds, 2)} s (slowest ${round(slowestShard, 2)} s); CPU ${shardCpu} s`,
        baseline: `unsharded ${round(wholeSeconds, 2)} s; CPU ${wholeCpu} s (ratio ${cpuRatio})`,
        ...ratioFields(roundRatios),
        target: `<= ${TARGET_TIME_RATIO}x`,
        met: timeRatio !== null && timeRatio <= TARGET_TIME_RATIO,
      },
      {
        case: `shard balance, fixtures/ (${details.balance.fixtures.whole.inputs} inputs): largest / mean inputs, N:ratio`,
        ocrq: balanceCell(details.balance.fixtures.byCount),
        baseline: `N=${SHARDS}: ${n4(details.balance.fixtures).inputs.join('/')} inputs, bytes ${n4(details.balance.fixtures).balanceBytes}`,
        ratio: n4(details.balance.fixtures).balanceInputs,
        target: 'report',
        met: null,
      },
      {
        case: `shard balance, ${label} files: largest / mean inputs, N:ratio`,
        ocrq: balanceCell(details.balance.corpus.byCount),
        baseline: `N=${SHARDS}: ${n4(details.balance.corpus).inputs.join('/')} inputs, bytes ${n4(details.balance.corpus).balanceBytes}`,
        ratio: n4(details.balance.corpus).balanceInputs,
        target: 'report',
        met: null,
      },
    ],
    details,
  };
}
