// Shared measuring for the OCR benchmarks: one `ocrq submit` run timed from the outside, medians, ratios,
// character error rates between texts, and a summary of V8 CPU profiles.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyPercent, machineTicks } from './cpu.mjs';
import { runProcess } from './ocr-tools.mjs';
import { median, round } from './stats.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_ROOT = path.join(REPO, 'bench', '.corpus');

/**
 * Fails with a clear message when dist/ is missing, and warns through `log` (as benchmark `name`) when it is older
 * than src/ (the CLI runs from dist/).
 */
export function checkBuild(name, log) {
  const main = path.join(REPO, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error('dist/ is missing: run `npm run build` first');
  const built = statSync(main).mtimeMs;
  const newer = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && statSync(full).mtimeMs > built) newer.push(path.relative(REPO, full));
    }
  };
  walk(path.join(REPO, 'src'));
  if (newer.length) log(`${name}: warning: dist/ is older than ${newer.length} src file(s) (e.g. ${newer[0]}); run \`npm run build\``);
}

/**
 * One `ocrq submit INPUTS --engine ENGINE --json` run (default `local`) into a fresh manifest. Returns the summary
 * event, the wall time of the whole process (start-up included), the manifest rows and the CPU profile dir when asked.
 */
export async function runOcrq(inputs, { workers, extraArgs = [], cpuProfDir, engine = 'local' } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-ocr-'));
  try {
    const manifest = path.join(dir, 'manifest.jsonl');
    const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
    const args = [
      ...nodeArgs, path.join(REPO, 'bin', 'ocrq.js'), 'submit', ...inputs,
      '--engine', engine, '--workers', String(workers), '--out', manifest, '--json', ...extraArgs,
    ];
    const r = await runProcess(process.execPath, args, { cwd: REPO });
    const events = r.stdout.split('\n').filter(Boolean).map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    });
    const summary = events.findLast((e) => e?.type === 'summary');
    if (!summary) throw new Error(`ocrq exited ${r.code} without a summary: ${r.stderr.trim().slice(-500)}`);
    const rows = readFileSync(manifest, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return { summary, wallMs: r.ms, exitCode: r.code, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per-page texts of completed documents, keyed by the source's path relative to `base`. */
export function pagesBySource(rows, base) {
  const out = {};
  for (const row of rows) {
    if (row.status !== 'completed') continue;
    const key = path.relative(base, path.resolve(REPO, row.source));
    out[key] = row.result?.pages?.map((p) => ({ text: p.text, source: p.source })) ?? String(row.text ?? '').split('\f').map((text) => ({ text }));
  }
  return out;
}

export { median, round };

/** Whitespace collapsed, case folded, typographic quotes and dashes made plain: what a reader compares. */
export function normaliseText(text) {
  return String(text)
    .normalize('NFKC')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Character error rate of `hypothesis` against `reference`, both normalised: edit distance / reference length. */
export function cer(reference, hypothesis) {
  const a = normaliseText(reference);
  const b = normaliseText(hypothesis);
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] / a.length;
}

/**
 * Self time by function over every .cpuprofile in `dir` (Node writes one per thread), plus totals by category,
 * so the top findings fit in a report.
 */
export function summarizeCpuProfiles(dir, top = 12) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map();
  const byCategory = new Map();
  let total = 0;
  const threads = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas;
    let threadTotal = 0;
    const threadBusy = { idle: 0 };
    for (let i = 0; i < profile.samples.length; i++) {
      const node = nodes.get(profile.samples[i]);
      const ms = (dt[i] ?? 0) / 1000;
      if (!node || ms <= 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
      const key = where ? `${name} ${where}` : name;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      const category = categorize(name, url);
      byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
      if (category === 'idle') threadBusy.idle += ms;
      threadTotal += ms;
      total += ms;
    }
    threads.push({ file, sampledMs: Math.round(threadTotal), idleMs: Math.round(threadBusy.idle) });
  }
  const pct = (ms) => `${((100 * ms) / (total || 1)).toFixed(1)}%`;
  return {
    profiles: files.length,
    threads,
    sampledMs: Math.round(total),
    byCategory: [...byCategory].sort((a, b) => b[1] - a[1]).map(([category, ms]) => ({ category, ms: Math.round(ms), share: pct(ms) })),
    topSelf: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, ms]) => ({ fn, ms: Math.round(ms), share: pct(ms) })),
  };
}

function shortUrl(url) {
  const i = url.indexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  return d >= 0 ? url.slice(d + 1) : url.replace(/^file:\/\//, '');
}

function categorize(name, url) {
  if (name === '(idle)' || name === '(program)') return name === '(idle)' ? 'idle' : 'program (native, outside JS)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (/wasm/i.test(name) || /\.wasm/.test(url)) return 'tesseract wasm';
  if (url.includes('tesseract')) return 'tesseract.js JS';
  if (url.includes('pdfjs-dist')) return 'pdf.js';
  if (url.includes('/dist/')) return 'ocrq';
  if (url.startsWith('node:') || !url) return 'node internals / natives';
  return 'other JS';
}

/** CPU ticks of this process's reaped children (Linux /proc/self/stat cutime + cstime); null elsewhere. */
function childrenCpuTicks() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return null;
  }
}

/**
 * Runs `fn` and says how busy the machine was meanwhile and how much of that was not our children: other
 * people's work on a shared machine skews a run, and this lets a reader discount it. `ownCpuSeconds`: the CPU time
 * of the children that ended meanwhile (USER_HZ 100).
 */
export async function withCpuAccounting(fn) {
  const machineBefore = machineTicks();
  const childBefore = childrenCpuTicks();
  const result = await fn();
  const machineAfter = machineTicks();
  const childAfter = childrenCpuTicks();
  let cpu = null;
  if (machineBefore && machineAfter && childBefore !== null && childAfter !== null && machineAfter.total > machineBefore.total) {
    const total = machineAfter.total - machineBefore.total;
    const ours = childAfter - childBefore;
    cpu = {
      ownCpuSeconds: round(ours / 100, 2),
      machineBusyPercent: busyPercent(machineBefore, machineAfter),
      otherCpuPercent: round(Math.max(0, (100 * (machineAfter.busy - machineBefore.busy - ours)) / total), 1),
    };
  }
  return { result, cpu };
}
