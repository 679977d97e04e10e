// Rate precision: `ocrq submit --rps R --burst 1` against a loopback OCRQueen stand-in that enforces R + burst per
// sliding second and answers after 100 ms, next to the vendors' cookbook pattern (8 request loops, no limiter).
// With --no-wait only submits are sent, so requests = documents.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ensureCorpus } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { round, worstWindow } from './lib/stats.mjs';

export const name = 'rate';
export const description = 'achieved request rate vs --rps against a rate-limiting loopback server (ocrq vs 8 unlimited loops)';

export const RATES = [20, 100, 500];
const BURST = 1;
const SERVER_DELAY_MS = 100;
const BASELINE_LOOPS = 8;
const OCRQ_CONCURRENCY = 64;
const API_KEY = 'pk_test_benchmarkbenchmarkbench01';
const TARGET_RATIO = 0.97;
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

/** What the server saw: achieved admitted rate over the span of arrivals, worst sliding second, status counts. */
function analyse({ arrivals, statuses }, rps) {
  const order = arrivals.map((t, i) => [t, statuses[i]]).sort((a, b) => a[0] - b[0]);
  const times = order.map(([t]) => t);
  const admitted = order.filter(([, s]) => s === 202).length;
  const spanMs = times.length > 1 ? times.at(-1) - times[0] : 0;
  // N requests paced at R per second span (N - 1) / R seconds.
  const achieved = spanMs > 0 ? (admitted - 1) / (spanMs / 1000) : null;
  const count = (s) => statuses.filter((x) => x === s).length;
  return {
    requests: times.length,
    admitted,
    rejected429: count(429),
    unauthorized: count(401),
    spanSeconds: round(spanMs / 1000, 3),
    achievedPerSecond: round(achieved, 2),
    ratioToLimit: achieved === null ? null : round(achieved / rps, 3),
    worstWindow: worstWindow(times),
  };
}

async function measureOcrq(corpus, rps, tmp) {
  const server = await startServer(rps);
  try {
    const args = [path.join(repoRoot, 'bin/ocrq.js'), 'submit', corpus.dir, '--provider', 'ocrqueen', '--base-url', server.url, '--api-key', API_KEY,
      '--rps', String(rps), '--burst', String(BURST), '--concurrency', String(OCRQ_CONCURRENCY), '--no-wait', '--json', '--out', path.join(tmp, `ocrq-${rps}.jsonl`)];
    const proc = await runMeasured(process.execPath, args, { cwd: tmp, outBase: path.join(tmp, `ocrq-${rps}`), peakRss: true });
    const summary = await lastEvent(proc.stdoutFile, 'summary');
    if (!summary) throw new Error(`ocrq submit printed no summary (exit ${proc.code}): ${await tail(proc.stderrFile)}`);
    return { ...analyse(await server.stats(), rps), exitCode: proc.code, wallSeconds: round(proc.wallMs / 1000, 2), cpuSeconds: proc.cpuSeconds, peakRssKiB: proc.peakRssKiB, summary: pick(summary, ['documents', 'pending', 'failed', 'skipped', 'exit_code']) };
  } finally {
    await server.stop();
  }
}

async function measureBaseline(corpus, rps, tmp) {
  const server = await startServer(rps);
  try {
    const input = JSON.stringify({ url: server.url, apiKey: API_KEY, dir: corpus.dir, loops: BASELINE_LOOPS });
    const proc = await runMeasured(process.execPath, [path.join(repoRoot, 'bench/lib/rate-baseline.mjs'), input], { cwd: repoRoot, outBase: path.join(tmp, `baseline-${rps}`), peakRss: true });
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
  const details = { seconds, burst: BURST, serverDelayMs: SERVER_DELAY_MS, baselineLoops: BASELINE_LOOPS, ocrqConcurrency: OCRQ_CONCURRENCY, perRate: {} };
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
      log(`rate ${rps}/s: ${documents} documents, ocrq then baseline`);
      const ocrq = await measureOcrq(corpus, rps, tmp);
      log(`  ocrq: ${ocrq.achievedPerSecond}/s (${ocrq.ratioToLimit} of limit), worst second ${ocrq.worstWindow}, 429s ${ocrq.rejected429}, exit ${ocrq.exitCode}, CPU ${ocrq.cpuSeconds} s in ${ocrq.wallSeconds} s`);
      const baseline = await measureBaseline(corpus, rps, tmp);
      log(`  baseline: ${baseline.achievedPerSecond}/s admitted, worst second ${baseline.worstWindow}, 429s ${baseline.rejected429}`);
      details.perRate[rps] = { documents, corpusGenerationMs: corpus.generationMs, ocrq, baseline };
      const limit = rps + BURST;
      rows.push(
        { case: `rate ${rps}/s: admitted rate / --rps`, ocrq: `${ocrq.achievedPerSecond}/s`, baseline: `${baseline.achievedPerSecond}/s, ${baseline.admitted} of ${baseline.requests} admitted`, ratio: ocrq.ratioToLimit, target: `>= ${TARGET_RATIO}`, met: ocrq.ratioToLimit !== null && ocrq.ratioToLimit >= TARGET_RATIO },
        { case: `rate ${rps}/s: worst 1-s window`, ocrq: String(ocrq.worstWindow), baseline: String(baseline.worstWindow), ratio: '', target: `<= ${limit}`, met: ocrq.worstWindow <= limit },
        { case: `rate ${rps}/s: 429 responses`, ocrq: String(ocrq.rejected429), baseline: `${baseline.rejected429} of ${baseline.requests}`, ratio: '', target: '0', met: ocrq.rejected429 === 0 && ocrq.exitCode === 0 },
      );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { rows, details };
}
