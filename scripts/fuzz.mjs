// Fuzzes `ocrq submit` with mutated documents: whatever a document holds, it must end as a row (completed,
// failed or skipped, with a code) and never take the run down.
//
//   npm run fuzz -- --count 10000 --seed 1 --batch 200 --workers 2
//   npm run fuzz -- --replay fuzz-findings/1-4711.pdf
//
// Mutants of the seed documents (fixtures/images, fixtures/pdfs; see scripts/lib/mutate.mjs) are written into
// a temporary folder a batch at a time and run through the real CLI (bin/ocrq.js → dist/). Each batch must
// keep the rules in scripts/lib/fuzz-check.mjs. When a batch breaks one, the documents in flight when it broke
// are re-run in smaller groups to find the one responsible, and that mutant is saved, with its seed, to
// fuzz-findings/ (replay it with --replay). Exits 1 when any batch broke a rule.
//
// Options:
//   --count N          mutants in all (default 2000)
//   --seed N           master seed (default 1); mutant i of seed s is always the same bytes
//   --start N          first mutant index (default 0), to resume or to replay a range
//   --batch N          mutants per CLI run (default 200)
//   --workers N        the CLI's --workers (default 2)
//   --dpi N            the CLI's --dpi (default 100: cheap OCR)
//   --cli ARG          extra argument for the CLI (repeatable), e.g. --cli=--force-ocr
//   --seeds PATH       seed documents, a file or a folder (repeatable; default DEFAULT_SEED_FILES in lib/mutate.mjs)
//   --batch-timeout S  seconds a batch may take (default 60 + 3 per mutant)
//   --stall S          seconds without a stdout line (a finished document) before a run counts as hung (default 60)
//   --bisect N         re-runs allowed to find the mutants that broke a batch (default 10)
//   --findings DIR     where offending mutants go (default fuzz-findings/)
//   --keep             keep the temporary folders
//   --replay FILE      run saved mutants (files or folders) through the CLI, one run each, and check the rules
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRun, listingOrder, outcomeKey, unfinished } from './lib/fuzz-check.mjs';
import { DEFAULT_SEED_FILES, EXTENSIONS, mutate, sniffKind } from './lib/mutate.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'ocrq.js');

/** Budget flags the CLI may offer, with the value the fuzzer runs them at; used only when `submit --help` lists them. */
const BUDGET_FLAGS = [['--max-page-seconds', '10']];

function parseArgs(argv) {
  const opts = {
    count: 2000, seed: 1, start: 0, batch: 200, workers: 2, dpi: 100, cli: [], seeds: [], batchTimeout: null,
    stall: 60, bisect: 10, findings: path.join(REPO, 'fuzz-findings'), keep: false, replay: [],
  };
  const numeric = { '--count': 'count', '--seed': 'seed', '--start': 'start', '--batch': 'batch', '--workers': 'workers',
    '--dpi': 'dpi', '--batch-timeout': 'batchTimeout', '--stall': 'stall', '--bisect': 'bisect' };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const take = () => value ?? argv[++i];
    if (arg in numeric) {
      const v = Number(take());
      if (!Number.isFinite(v)) usage(`${arg} needs a number`);
      opts[numeric[arg]] = v;
    } else if (arg === '--cli') opts.cli.push(take());
    else if (arg === '--seeds') opts.seeds.push(path.resolve(take()));
    else if (arg === '--findings') opts.findings = path.resolve(take());
    else if (arg === '--replay') opts.replay.push(path.resolve(take()));
    else if (arg === '--keep') opts.keep = true;
    else if (arg === '-h' || arg === '--help') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!opts.seeds.length) opts.seeds = DEFAULT_SEED_FILES.map((f) => path.join(REPO, 'fixtures', f));
  return opts;
}

function usage(message) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const help = text.slice(0, text.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
  if (message) console.error(`fuzz: ${message}`);
  console.error(help);
  process.exit(message ? 2 : 0);
}

/**
 * Seed documents: files as given, and every file of a folder, sorted, so that a seed number means the same mutants
 * everywhere.
 */
function loadSeeds(paths) {
  const seeds = [];
  for (const p of paths) {
    const files = fs.statSync(p).isDirectory() ? fs.readdirSync(p).sort().map((name) => path.join(p, name)) : [p];
    for (const file of files) {
      if (fs.statSync(file).isFile()) seeds.push({ name: `${path.basename(path.dirname(file))}/${path.basename(file)}`, data: fs.readFileSync(file) });
    }
  }
  if (!seeds.length) usage('no seed documents');
  return seeds;
}

/** The CLI's arguments for one run, with the budget flags it supports. */
function cliArgs(opts, helpText) {
  const args = ['--workers', String(opts.workers), '--dpi', String(opts.dpi)];
  for (const [flag, value] of BUDGET_FLAGS) {
    if (helpText.includes(flag) && !opts.cli.some((a) => a.startsWith(flag))) args.push(flag, value);
  }
  return [...args, ...opts.cli];
}

/** Resident memory of a process and its descendants, in bytes (Linux; 0 elsewhere). */
function treeRss(pid) {
  let total = 0;
  const stack = [pid];
  const seen = new Set();
  while (stack.length) {
    const p = stack.pop();
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (m) total += Number(m[1]) * 1024;
      for (const tid of fs.readdirSync(`/proc/${p}/task`)) {
        const children = fs.readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

/**
 * Runs `ocrq submit in --out m.jsonl --json …` in `dir` and waits for it, killing its process group when
 * it runs past `timeoutMs` or prints nothing for `stallMs`.
 */
function runCli(dir, args, { timeoutMs, stallMs }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, 'submit', 'in', '--out', 'm.jsonl', '--json', ...args], {
      cwd: dir,
      env: { ...process.env, CI: '1', OCRQ_CONFIG_DIR: path.join(dir, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    let timedOut = null;
    let lastOutput = Date.now();
    child.stdout.on('data', (c) => {
      stdout += c;
      lastOutput = Date.now();
    });
    child.stderr.on('data', (c) => {
      stderr += c;
      if (stderr.length > 1e6) stderr = stderr.slice(-5e5);
    });
    const kill = (why) => {
      timedOut ??= why;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, treeRss(child.pid));
      const now = Date.now();
      if (now - started > timeoutMs) kill(`no exit after ${Math.round(timeoutMs / 1000)} s`);
      else if (now - lastOutput > stallMs) kill(`no output for ${Math.round(stallMs / 1000)} s`);
    }, 200);
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      let manifest = '';
      try {
        manifest = fs.readFileSync(path.join(dir, 'm.jsonl'), 'utf8');
      } catch {
        // No manifest: every input will be missing its row.
      }
      resolve({ code, signal: timedOut ? null : signal, timedOut, stdout, stderr, manifest, peakRss, ms: Date.now() - started });
    });
  });
}

/** Writes documents into a fresh run folder; returns the folder and the inputs' names as the CLI reports them. */
function writeRun(root, name, files) {
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, 'in', f.name), f.data);
  return { dir, sources: files.map((f) => `in/${f.name}`) };
}

const mib = (bytes) => `${Math.round(bytes / 1024 / 1024)} MiB`;
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

function describeViolations(check) {
  return [
    ...check.runViolations.map((v) => `${v.rule}: ${v.detail}`),
    ...check.violations.slice(0, 10).map((v) => `${v.source}: ${v.rule}: ${v.detail}`),
  ].join('; ');
}

class Fuzzer {
  constructor(opts) {
    this.opts = opts;
    this.seeds = loadSeeds(opts.seeds);
    this.help = execFileSync(process.execPath, [BIN, 'submit', '--help'], { encoding: 'utf8' });
    this.args = cliArgs(opts, this.help);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocrq-fuzz-'));
    this.counts = new Map();
    this.findings = [];
    this.peakRss = 0;
    this.slowest = [];
    this.brokenBatches = 0;
    /** Index → rule of every mutant saved as a finding. */
    this.saved = new Map();
  }

  mutant(index) {
    const m = mutate(this.seeds, this.opts.seed, index);
    return { ...m, index, name: `m${String(index).padStart(6, '0')}.${EXTENSIONS[sniffKind(m.data)] ?? 'bin'}` };
  }

  limits(n) {
    return {
      timeoutMs: (this.opts.batchTimeout ?? 60 + 3 * n) * 1000,
      stallMs: this.opts.stall * 1000,
    };
  }

  async run() {
    const { count, start, batch } = this.opts;
    console.error(`fuzz: seed ${this.opts.seed}, mutants ${start}..${start + count - 1}, ${batch} per run, ` +
      `${this.seeds.length} seed documents; ocrq ${this.args.join(' ')}; temp ${this.root}`);
    const t0 = Date.now();
    for (let from = start; from < start + count; from += batch) {
      const n = Math.min(batch, start + count - from);
      const mutants = Array.from({ length: n }, (_, i) => this.mutant(from + i));
      await this.batch(mutants, `mutants ${from}..${from + n - 1}`);
    }
    const wall = Date.now() - t0;
    this.report(wall);
    if (!this.opts.keep) fs.rmSync(this.root, { recursive: true, force: true });
    return this.findings.length || this.brokenBatches ? 1 : 0;
  }

  /**
   * One CLI run over `mutants`. When it breaks, the mutants responsible are isolated and saved, and the ones it
   * never got to run again in a run of their own (up to a few times), so that every mutant gets an outcome.
   */
  async batch(mutants, label, depth = 0) {
    const { dir, sources } = writeRun(this.root, `batch-${mutants[0].index}-${depth}`, mutants);
    const run = await runCli(dir, this.args, this.limits(mutants.length));
    this.peakRss = Math.max(this.peakRss, run.peakRss);
    const check = checkRun(run, sources);
    const byName = new Map(mutants.map((m, i) => [sources[i], m]));
    const broke = check.runViolations.length > 0 || check.violations.length > 0;
    console.error(`fuzz: ${label}: exit ${run.timedOut ? 'timeout' : run.signal ?? run.code} in ` +
      `${secs(run.ms)}, peak RSS ${mib(run.peakRss)}${broke ? ` — BROKE: ${describeViolations(check)}` : ''}`);
    const rest = [];
    if (broke) {
      this.brokenBatches++;
      // An input whose own row breaks a rule is a finding as it stands.
      for (const v of check.violations) {
        const m = byName.get(v.source);
        if (m) this.save(m, { rule: v.rule, detail: v.detail, exit: run.code, signal: run.signal, confirmed: 'in its batch' });
      }
      if (check.runViolations.length) {
        await this.isolate(mutants, sources, check, run, dir);
        for (const s of unfinished(check, sources)) if (!this.saved.has(byName.get(s).index)) rest.push(byName.get(s));
      }
    }
    if (!this.opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    const again = new Set(depth < 4 ? rest : []);
    for (const [source, row] of check.rows) {
      const m = byName.get(source);
      if (again.has(m)) continue;
      const key = this.saved.has(m.index) ? `broke the run (${this.saved.get(m.index)})` : row ? outcomeKey(row) : 'no row (its run broke)';
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (row && typeof row.elapsed_ms === 'number') this.noteSlow(row.elapsed_ms, m, key);
    }
    if (again.size) await this.batch([...again], `${again.size} mutants its run never finished, again`, depth + 1);
  }

  /**
   * Finds which mutants broke the run. The suspects are the inputs it had started and not finished: the CLI
   * takes inputs in the order the folder lists them and holds at most 2 × workers + 1 documents at once, so
   * they are the first unfinished ones in that order. They are re-run one by one, then together, then with
   * every unfinished mutant bisected, within the --bisect budget of re-runs.
   */
  async isolate(mutants, sources, check, run, dir) {
    const byName = new Map(mutants.map((m, i) => [sources[i], m]));
    const left = unfinished(check, listingOrder(path.join(dir, 'in'), 'in')).map((s) => byName.get(s)).filter(Boolean);
    // A run that broke after finishing every document (at exit) leaves no one in flight: all are suspects.
    const open = left.length ? left : mutants;
    const first = check.runViolations[0];
    let budget = this.opts.bisect;
    const reproduces = async (group) => {
      budget--;
      const { dir: d, sources: s } = writeRun(this.root, `isolate-${group[0].index}-${group.length}`, group);
      const r = await runCli(d, this.args, this.limits(group.length));
      const c = checkRun(r, s);
      if (!this.opts.keep) fs.rmSync(d, { recursive: true, force: true });
      const v = c.runViolations[0] ?? c.violations[0];
      console.error(`fuzz:   re-run of ${group.length} (${group.slice(0, 8).map((m) => m.index).join(', ')}${group.length > 8 ? ', …' : ''}): ` +
        `${v ? `broke (${v.rule}: ${v.detail})` : 'kept the rules'} in ${secs(r.ms)}, peak RSS ${mib(r.peakRss)}`);
      return v ? { rule: v.rule, detail: v.detail, exit: r.code, signal: r.signal, seconds: Math.round(r.ms / 1000), peak_rss_mib: Math.round(r.peakRss / 2 ** 20) } : null;
    };
    const inFlightCap = 2 * this.opts.workers + 1;
    let suspects = open.slice(0, inFlightCap);
    console.error(`fuzz:   ${open.length} unfinished; in flight when it broke (${first.rule}): ${suspects.map((m) => `#${m.index} [${m.ops.join('; ')}]`).join(', ')}`);
    // The few documents in flight are tried one by one straight away (several may break a run on their own);
    // only when none does alone are they, and then every unfinished one, tried together.
    const culprits = [];
    for (const m of suspects) {
      if (budget <= 0) break;
      const v = await reproduces([m]);
      if (v) culprits.push([m, v]);
    }
    for (const [m, v] of culprits) this.save(m, { ...v, confirmed: 'yes: breaks a run on its own' });
    if (culprits.length) return;
    let found = suspects.length && budget > 0 ? await reproduces(suspects) : null;
    if (found) {
      for (const m of suspects) this.save(m, { ...found, confirmed: `only together with the other ${suspects.length - 1} in flight` });
      return;
    }
    suspects = open;
    found = budget > 0 ? await reproduces(suspects) : null;
    if (!found) {
      for (const m of open.slice(0, inFlightCap)) this.save(m, { ...first, exit: run.code, signal: run.signal, confirmed: 'no: in flight when its batch broke; no re-run broke' });
      return;
    }
    let set = suspects;
    while (set.length > 1 && budget > 0) {
      const half = set.slice(0, Math.ceil(set.length / 2));
      const rest = set.slice(half.length);
      const a = await reproduces(half);
      if (a) {
        [set, found] = [half, a];
        continue;
      }
      const b = budget > 0 ? await reproduces(rest) : null;
      if (!b) break;
      [set, found] = [rest, b];
    }
    const confirmed = set.length === 1 ? 'yes: breaks a run on its own' : `as a group of ${set.length}`;
    for (const m of set) this.save(m, { ...found, confirmed });
  }

  save(m, finding) {
    fs.mkdirSync(this.opts.findings, { recursive: true });
    const base = `${this.opts.seed}-${m.index}`;
    const file = path.join(this.opts.findings, `${base}.${m.name.split('.').pop()}`);
    fs.writeFileSync(file, m.data);
    const meta = {
      seed: this.opts.seed, index: m.index, mutant_seed: m.mutantSeed, seed_document: m.seed, kind: m.kind, mutations: m.ops,
      bytes: m.data.length, sha256: crypto.createHash('sha256').update(m.data).digest('hex'), cli: this.args, ...finding,
    };
    fs.writeFileSync(`${file}.json`, JSON.stringify(meta, null, 2) + '\n');
    if (!this.findings.some((f) => f.file === file)) this.findings.push({ file, ...meta });
    this.saved.set(m.index, finding.rule);
  }

  noteSlow(ms, m, key) {
    if (!m) return;
    this.slowest.push({ ms, index: m.index, seed: m.seed, ops: m.ops, key });
    this.slowest.sort((a, b) => b.ms - a.ms);
    this.slowest.length = Math.min(this.slowest.length, 5);
  }

  report(wall) {
    const byStatus = { completed: [], failed: [], skipped: [], other: [] };
    for (const [key, n] of [...this.counts].sort((a, b) => b[1] - a[1])) {
      const [status, ...code] = key.split(' ');
      if (status in byStatus && code.length) byStatus[status].push([code.join(' '), n]);
      else if (key === 'completed') byStatus.completed.push([key, n]);
      else byStatus.other.push([key, n]);
    }
    const line = Object.entries(byStatus)
      .filter(([, list]) => list.length)
      .map(([status, list]) => {
        if (status === 'completed') return `completed ${list[0][1]}`;
        return `${status === 'other' ? '' : `${status} `}${list.map(([c, n]) => `${c} ${n}`).join(', ')}`;
      })
      .join('; ');
    console.log(`outcomes: ${line}`);
    console.log(`wall time ${secs(wall)}; peak RSS of the CLI process tree ${mib(this.peakRss)}`);
    console.log('slowest documents:');
    for (const s of this.slowest) console.log(`  ${secs(s.ms)}  #${s.index} ${s.seed} [${s.ops.join('; ')}] → ${s.key}`);
    if (!this.findings.length && !this.brokenBatches) {
      console.log('findings: none; every batch kept the rules');
      return;
    }
    console.log(`findings: ${this.findings.length} mutant(s) from ${this.brokenBatches} broken run(s), saved in ${path.relative(process.cwd(), this.opts.findings) || '.'}`);
    for (const f of this.findings) {
      console.log(`  ${path.relative(process.cwd(), f.file)}: ${f.rule} (${f.detail}); seed ${f.seed} index ${f.index}; ` +
        `${f.seed_document} [${f.mutations.join('; ')}]; confirmed ${f.confirmed}`);
    }
  }
}

/** Runs saved mutants, each in a run of its own, and reports what the CLI made of them. */
async function replay(opts) {
  const files = [];
  for (const p of opts.replay) {
    if (fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (!f.endsWith('.json')) files.push(path.join(p, f));
    } else files.push(p.endsWith('.json') ? p.slice(0, -'.json'.length) : p);
  }
  const help = execFileSync(process.execPath, [BIN, 'submit', '--help'], { encoding: 'utf8' });
  const args = cliArgs(opts, help);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocrq-fuzz-replay-'));
  let broken = 0;
  for (const file of files) {
    const data = fs.readFileSync(file);
    const name = `replay.${EXTENSIONS[sniffKind(data)]}`;
    const { dir, sources } = writeRun(root, 'replay', [{ name, data }]);
    const run = await runCli(dir, args, { timeoutMs: (opts.batchTimeout ?? 120) * 1000, stallMs: opts.stall * 1000 });
    const check = checkRun(run, sources);
    const row = check.rows.get(sources[0]);
    const bad = check.runViolations.length + check.violations.length > 0;
    if (bad) broken++;
    console.log(`${path.relative(process.cwd(), file)}: exit ${run.timedOut ? 'timeout' : run.signal ?? run.code} in ${secs(run.ms)}, ` +
      `peak RSS ${mib(run.peakRss)}, ${outcomeKey(row)}${row?.error ? ` (${row.error.message})` : ''}` +
      `${bad ? ` — BROKE: ${describeViolations(check)}` : ' — kept the rules'}`);
    if (bad && run.stderr.trim()) console.log(run.stderr.trim().split('\n').slice(-8).map((l) => `    ${l}`).join('\n'));
  }
  fs.rmSync(root, { recursive: true, force: true });
  return broken ? 1 : 0;
}

const opts = parseArgs(process.argv.slice(2));
process.exitCode = opts.replay.length ? await replay(opts) : await new Fuzzer(opts).run();
