// Rate precision: `ocrq submit --rps R --burst 1` against a loopback OCRQueen stand-in that enforces R + burst per
// sliding second and answers after 100 ms, next to the vendors' cookbook pattern (8 request loops, no limiter).
// With --no-wait only submits are sent, so requests = documents. 3 rounds per rate, alternating ocrq and the
// baseline; the ratio is the median of the rounds', the rate measured from the second request (see analyse).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ensureCorpus } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { alternate, median, ratioFields, ratioStats, round, worstWindow } from './lib/stats.mjs';

export const name = 'rate';
export const description = 'achieved request rate vs --rps against a rate-limiting loopback server (ocrq vs 8 unlimited loops), from the second request: the first waits alone for the key check';

export const RATES = [20, 100, 500];
const BURST = 1;
const SERVER_DELAY_MS = 100;
const BASELINE_LOOPS = 8;
const OCRQ_CONCURRENCY = 64;
const API_KEY = 'pk_test_benchmarkbenchmarkbench01';
const TARGET_RATIO = 0.97;
const ROUNDS = 3;
const INVOICE = path.join(repoRoot, 'fixtures/images/invoice.png');

/** Starts bench/lib/rate-server.mjs; resolves with {url, stats(), stop()} once it is bound. */
function startServer(rps) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bench/lib/rate-server.mjs'), JSON.stringify({ rps, burst: BURST, delayMs: SERVER_DELAY_MS, apiKey: API_KEY })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('rate server: no ready line within 10 s'));
    }, 10_000);
    exited.then((code) => reject(new Error(`rate server exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const { url } = JSON.parse(line);
      resolve({
        url,
        async stats() {
          const res = await fetch(`${url}/_bench/stats`);
          return res.json();
        },
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/**
 * What the server saw: the admitted rate while paced, worst sliding second, status counts. The rate is measured from
 * the second arrival to the last: ocrq sends its first request alone and waits for its answer (one server delay,
 * 100 ms here) before any other, to learn that the key is accepted; that wait is not pacing, and over a 10-second run
 * it alone would cost 1% of the ratio. `fromFirst` keeps the rate over the whole span, first arrival included.
 */
function analyse({ arrivals, statuses }, rps) {
  const order = arrivals.map((t, i) => [t, statuses[i]]).sort((a, b) => a[0] - b[0]);
  const times = order.map(([t]) => t);
  const admitted = order.filter(([, s]) => s === 202).length;
  // N requests paced at R per second span (N - 1) / R seconds.
  const rate = (from) => {
    const spanMs = times.length > from + 1 ? times.at(-1) - times[from] : 0;
    return spanMs > 0 ? (admitted - from - 1) / (spanMs / 1000) : null;
  };
  const achieved = rate(1);
  const fromFirst = rate(0);
  const count = (s) => statuses.filter((x) => x === s).length;
  return {
    requests: times.length,
    admitted,
    rejected429: count(429),
    unauthorized: count(401),
    spanSeconds: round(times.length > 1 ? (times.at(-1) - times[0]) / 1000 : 0, 3),
    firstGapMs: times.length > 1 ? round(times[1] - times[0], 1) : null,
    achievedPerSecond: round(achieved, 2),
    ratioToLimit: achieved === null ? null : round(achieved / rps, 3),
    fromFirst: { achievedPerSecond: round(fromFirst, 2), ratioToLimit: fromFirst === null ? null : round(fromFirst / rps, 3) },
    worstWindow: worstWindow(times),
  };
}

async function measureOcrq(corpus, rps, tmp, k) {
  const server = await startServer(rps);
  try {
    const args = [path.join(repoRoot, 'bin/ocrq.js'), 'submit', corpus.dir, '--provider', 'ocrqueen', '--base-url', server.url, '--api-key', API_KEY,
      '--rps', String(rps), '--burst', String(BURST), '--concurrency', String(OCRQ_CONCURRENCY), '--no-wait', '--json', '--out', path.join(tmp, `ocrq-${rps}-${k}.jsonl`)];
    const proc = await runMeasured(process.execPath, args, { cwd: tmp, outBase: path.join(tmp, `ocrq-${rps}-${k}`), peakRss: true });
    const summary = await lastEvent(proc.stdoutFile, 'summary');
    if (!summary) throw new Error(`ocrq submit printed no summary (exit ${proc.code}): ${await tail(proc.stderrFile)}`);
    return { ...analyse(await server.stats(), rps), exitCode: proc.code, wallSeconds: round(proc.wallMs / 1000, 2), cpuSeconds: proc.cpuSeconds, peakRssKiB: proc.peakRssKiB, summary: pick(summary, ['documents', 'pending', 'failed', 'skipped', 'exit_code']) };
  } finally {
    await server.stop();
  }
}

async function measureBaseline(corpus, rps, tmp, k) {
  const server = await startServer(rps);
  try {
    const input = JSON.stringify({ url: server.url, apiKey: API_KEY, dir: corpus.dir, loops: BASELINE_LOOPS });
    const proc = await runMeasured(process.execPath, [path.join(repoRoot, 'bench/lib/rate-baseline.mjs'), input], { cwd: repoRoot, outBase: path.join(tmp, `baseline-${rps}-${k}`), peakRss: true });
    if (proc.code !== 0) throw new Error(`baseline exited ${proc.code}: ${await tail(proc.stderrFile)}`);
    const client = JSON.parse(await readFile(proc.stdoutFile, 'utf8'));
    return { ...analyse(await server.stats(), rps), client, cpuSeconds: proc.cpuSeconds };
  } finally {
    await server.stop();
  }
}

const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));

export async function run({ log, quick }) {
  const seconds = quick ? 3 : 10;
  const rows = [];
  const details = { seconds, rounds: ROUNDS, burst: BURST, serverDelayMs: SERVER_DELAY_MS, baselineLoops: BASELINE_LOOPS, ocrqConcurrency: OCRQ_CONCURRENCY, rateMeasured: 'admitted requests from the second arrival to the last (the first goes alone, to check the key)', perRate: {} };
  const invoice = await readFile(INVOICE);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-rate-'));
  try {
    for (const rps of RATES) {
      // One second of margin: N documents paced at R per second take (N - 1) / R seconds.
      const documents = rps * (seconds + 1);
      const corpus = await ensureCorpus(`rate-${documents}`, {
        dirs: seconds + 1,
        perDir: rps,
        fileName: (i) => `doc-${String(i).padStart(6, '0')}.png`,
        content: (i) => Buffer.concat([invoice, Buffer.from(`ocrq-bench-${i}`)]),
        log,
      });
      log(`rate ${rps}/s: ${documents} documents, ${ROUNDS} rounds of ocrq then baseline`);
      const runs = await alternate(
        ROUNDS,
        { ocrq: (k) => measureOcrq(corpus, rps, tmp, k), baseline: (k) => measureBaseline(corpus, rps, tmp, k) },
        (k, { ocrq, baseline }) => {
          log(`  round ${k + 1} ocrq: ${ocrq.achievedPerSecond}/s (${ocrq.ratioToLimit} of limit; ${ocrq.fromFirst.ratioToLimit} from the first request), worst second ${ocrq.worstWindow}, 429s ${ocrq.rejected429}, exit ${ocrq.exitCode}, CPU ${ocrq.cpuSeconds} s in ${ocrq.wallSeconds} s`);
          log(`  round ${k + 1} baseline: ${baseline.achievedPerSecond}/s admitted, worst second ${baseline.worstWindow}, 429s ${baseline.rejected429}`);
        },
      );
      details.perRate[rps] = { documents, corpusGenerationMs: corpus.generationMs, ...runs };
      const limit = rps + BURST;
      const stats = ratioStats(runs.ocrq.map((r) => r.ratioToLimit));
      const worst = Math.max(...runs.ocrq.map((r) => r.worstWindow));
      const rejected = runs.ocrq.reduce((sum, r) => sum + r.rejected429, 0);
      const med = (side, key) => round(median(runs[side].map((r) => r[key])), 2);
      rows.push(
        { case: `rate ${rps}/s: admitted rate / --rps (median of ${ROUNDS})`, ocrq: `${med('ocrq', 'achievedPerSecond')}/s`, baseline: `${med('baseline', 'achievedPerSecond')}/s, ${runs.baseline.at(-1).admitted} of ${runs.baseline.at(-1).requests} admitted`, ...ratioFields(stats), target: `>= ${TARGET_RATIO}`, met: stats.median !== null && stats.median >= TARGET_RATIO },
        { case: `rate ${rps}/s: worst 1-s window (${ROUNDS} rounds)`, ocrq: String(worst), baseline: String(Math.max(...runs.baseline.map((r) => r.worstWindow))), ratio: '', target: `<= ${limit}`, met: worst <= limit },
        { case: `rate ${rps}/s: 429 responses (${ROUNDS} rounds)`, ocrq: String(rejected), baseline: `${runs.baseline.reduce((sum, r) => sum + r.rejected429, 0)} of ${runs.baseline.reduce((sum, r) => sum + r.requests, 0)}`, ratio: '', target: '0', met: rejected === 0 && runs.ocrq.every((r) => r.exitCode === 0) },
      );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { rows, details };
}
