// Webhook intake throughput: `ocrq listen` (signature check + fsynced manifest append per delivery) against a
// minimal Express receiver (signature check only), in one run on this machine, each measured by a load generator in
// its own process. A module of `npm run bench` (bench/run.mjs); also runs alone after `npm run build`:
//   node bench/webhook-intake.mjs [--seconds 10] [--warmup 2] [--connections 50] [--rounds 3]
// Receivers alternate (ocrq, express, ocrq, express, ...); each measurement gets a fresh receiver (and, for ocrq, a
// fresh manifest). After each ocrq run, every delivery answered 2xx must have its row in the manifest. The ratio is
// the median of the rounds' ratios (ocrq's deliveries/s over Express's in the same round), with their range.
// Run alone, it writes bench/results/webhook-intake.json; under the harness its results go to bench/results.json.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { busyPercent, machineTicks, processCpuSeconds } from './lib/cpu.mjs';
import { startExpress, startOcrq } from './lib/receivers.mjs';
import { median, ratioFields, ratioStats, round } from './lib/stats.mjs';

const SECRET = 'bench-webhook-secret';
/** Job ids of successive measurements never overlap. */
const IDS_PER_RUN = 100_000_000;

export const name = 'webhook-intake';
export const description = 'webhook deliveries/s: ocrq listen (verify + fsynced append) vs a minimal Express receiver (verify only)';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Target from the issue: the median of the rounds' ratios of ocrq's deliveries/s to Express's at least this. */
const TARGET_RATIO = 1.5;
export const DEFAULTS = { seconds: 10, warmup: 2, connections: 50, rounds: 3 };
/** --quick shortens the runs; the rounds, the load and what is measured stay the same. */
export const QUICK = { seconds: 3, warmup: 1, connections: 50, rounds: 3 };

function parseConfig() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: String(DEFAULTS.seconds) },
      warmup: { type: 'string', default: String(DEFAULTS.warmup) },
      connections: { type: 'string', default: String(DEFAULTS.connections) },
      rounds: { type: 'string', default: String(DEFAULTS.rounds) },
    },
  });
  const positive = (key) => {
    const n = Number(values[key]);
    if (!(n > 0) || (key !== 'seconds' && !Number.isInteger(n))) usage(`--${key} must be a positive number`);
    return n;
  };
  const config = { seconds: positive('seconds'), warmup: Number(values.warmup), connections: positive('connections'), rounds: positive('rounds') };
  if (!(config.warmup >= 0)) usage('--warmup must be 0 or more');
  return config;
}

function usage(message) {
  console.error(`webhook-intake: ${message}`);
  process.exit(2);
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

function runLoadGenerator(config, url, firstId, idsFile) {
  const input = JSON.stringify({ url, secret: SECRET, ...config, firstId, idsFile });
  const child = spawn(process.execPath, [path.join(repo, 'bench/lib/load-gen.mjs'), input], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/** Every job answered 2xx must have a `completed` row from the webhook; lists those that do not. */
async function checkManifest(manifest, idsFile) {
  const text = await readFile(manifest, 'utf8');
  const stored = new Set();
  let rows = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    rows += 1;
    const row = JSON.parse(line);
    if (row.status === 'completed' && row.via === 'webhook') stored.add(row.job_id);
  }
  const acknowledged = (await readFile(idsFile, 'utf8')).split('\n').filter(Boolean);
  const missing = acknowledged.filter((n) => !stored.has(`job_${n}`));
  return { rows, jobIdsWithRow: stored.size, acknowledged: acknowledged.length, missing: missing.length, missingSample: missing.slice(0, 10).map((n) => `job_${n}`) };
}

async function measure(config, name, index) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ocrq-bench-${name}-`));
  try {
    const manifest = path.join(dir, 'm.jsonl');
    const idsFile = path.join(dir, 'acknowledged.txt');
    const receiver = name === 'ocrq' ? await startOcrq(repo, SECRET, manifest) : await startExpress(repo, SECRET);
    const loadBefore = os.loadavg();
    const cpuBefore = processCpuSeconds(receiver.pid);
    const ticksBefore = machineTicks();
    let load, cpuUsed, ticksAfter, stopped;
    try {
      load = await runLoadGenerator(config, receiver.url, index * IDS_PER_RUN, name === 'ocrq' ? idsFile : undefined);
    } finally {
      cpuUsed = processCpuSeconds(receiver.pid) - cpuBefore;
      ticksAfter = machineTicks();
      stopped = await receiver.stop();
    }
    const run = {
      receiver: name,
      ...load,
      receiverCpuSeconds: Number(cpuUsed.toFixed(2)),
      machineBusyPercent: busyPercent(ticksBefore, ticksAfter),
      receiverExit: stopped.exitCode ?? stopped.signal,
      loadavgBefore: loadBefore.map((l) => Number(l.toFixed(2))),
      uptimeAfter: uptime(),
    };
    if (name === 'ocrq') {
      run.listenSummary = stopped.summary;
      run.manifestCheck = await checkManifest(manifest, idsFile);
    }
    return run;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the alternating measurements; returns the full results object (what webhook-intake.json holds). */
export async function measureAll(config, log) {
  if (!existsSync(path.join(repo, 'dist/ocrq.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const uptimeBefore = uptime();
  /** How busy the machine is without the benchmark: other work here competes for the same two cores. */
  const idleTicks = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const baselineBusyPercent = busyPercent(idleTicks, machineTicks());
  log(`webhook-intake: ${config.rounds} x (ocrq, express), ${config.warmup} s warm-up + ${config.seconds} s, ${config.connections} connections`);
  log(`load before: ${uptimeBefore}; CPU busy over 2 s before starting: ${baselineBusyPercent}%`);
  const runs = [];
  for (let pass = 0; pass < config.rounds; pass += 1) {
    for (const name of ['ocrq', 'express']) {
      const run = await measure(config, name, runs.length);
      runs.push(run);
      const check = run.manifestCheck ? `, manifest: ${run.manifestCheck.missing} of ${run.manifestCheck.acknowledged} acknowledged missing` : '';
      log(`  ${name}: ${run.deliveriesPerSecond}/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, non-2xx ${run.total.non2xx}, errors ${run.total.errors}, receiver CPU ${run.receiverCpuSeconds} s, load generator CPU ${run.loadGeneratorCpuSeconds} s, machine busy ${run.machineBusyPercent}%${check}`);
    }
  }
  const uptimeAfter = uptime();

  const summary = {};
  for (const name of ['ocrq', 'express']) {
    const mine = runs.filter((r) => r.receiver === name);
    summary[name] = {
      deliveriesPerSecond: mine.map((r) => r.deliveriesPerSecond),
      median: round(median(mine.map((r) => r.deliveriesPerSecond)), 1),
      non2xx: mine.reduce((sum, r) => sum + r.total.non2xx, 0),
      errors: mine.reduce((sum, r) => sum + r.total.errors, 0),
      medianP99Ms: round(median(mine.map((r) => r.latencyMs.p99)), 1),
    };
  }
  const perRound = runs.filter((r) => r.receiver === 'ocrq').map((r, k) => r.deliveriesPerSecond / runs.filter((x) => x.receiver === 'express')[k].deliveriesPerSecond);
  const ratioOfRounds = ratioStats(perRound);
  const ratio = ratioOfRounds.median;
  const missing = runs.filter((r) => r.manifestCheck).reduce((sum, r) => sum + r.manifestCheck.missing, 0);
  return {
    date: new Date().toISOString(),
    config,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    uptimeBefore,
    baselineBusyPercent,
    uptimeAfter,
    summary,
    ratio,
    ratioOfRounds,
    missingRows: missing,
    runs,
  };
}

/** Harness entry (bench/run.mjs). */
export async function run({ log, quick }) {
  const results = await measureAll(quick ? QUICK : DEFAULTS, log);
  const { summary, ratio, ratioOfRounds, missingRows, config } = results;
  const rounds = config.rounds === 1 ? '1 run' : `median of ${config.rounds}`;
  return {
    rows: [
      { case: `webhook deliveries/s, ${config.connections} conns (${rounds})`, ocrq: `${summary.ocrq.median}/s`, baseline: `${summary.express.median}/s`, ...ratioFields(ratioOfRounds), target: `>= ${TARGET_RATIO}x`, met: ratio !== null && ratio >= TARGET_RATIO },
      { case: 'webhook 2xx deliveries with no manifest row', ocrq: String(missingRows), baseline: '-', ratio: '', target: '0', met: missingRows === 0 },
    ],
    details: results,
  };
}

async function main() {
  const results = await measureAll(parseConfig(), (line) => console.error(line));
  const { summary, ratio, missingRows: missing } = results;
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`${pad('receiver', 10)}${pad('deliveries/s (each run)', 28)}${pad('median', 10)}${pad('p99 ms', 9)}non-2xx  errors`);
  for (const name of ['ocrq', 'express']) {
    const s = summary[name];
    console.log(`${pad(name, 10)}${pad(s.deliveriesPerSecond.join(', '), 28)}${pad(s.median, 10)}${pad(s.medianP99Ms, 9)}${pad(s.non2xx, 9)}${s.errors}`);
  }
  console.log(`ratio ocrq/express (median of the rounds' ratios): ${ratio} (${results.ratioOfRounds.min}..${results.ratioOfRounds.max})`);
  console.log(`manifest: ${missing === 0 ? 'every 2xx delivery has its row' : `${missing} deliveries answered 2xx have no row`}`);
  console.log(`load before: ${results.uptimeBefore} (CPU ${results.baselineBusyPercent}% busy)\nload after:  ${results.uptimeAfter}`);
  await mkdir(path.join(repo, 'bench/results'), { recursive: true });
  await writeFile(path.join(repo, 'bench/results/webhook-intake.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.error('wrote bench/results/webhook-intake.json');
  process.exitCode = missing === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
