// Memory at scale: peak RSS of `ocrq submit --dry-run` over a million tiny files, and of resuming against a
// million-row manifest of those files' contents (all completed), with how long the resume index takes to load.
// Index-load time is read two ways: the time to ocrq's `start` event on the resumed run (it is printed once the
// manifest index is built and carries `resumed_jobs`), and the wall time of `ocrq status MANIFEST --json`.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureCorpus, filePath, PNG_SIGNATURE } from './lib/corpus.mjs';
import { lastEvent, repoRoot, runMeasured, tail } from './lib/proc.mjs';
import { mebibytes, median, ratioFields, ratioStats, round } from './lib/stats.mjs';

export const name = 'memory';
export const description = 'peak RSS of --dry-run over 1,000,000 tiny files and of resuming from a 1,000,000-row manifest';

const FILES_PER_DIR = 1000;
const RSS_LIMIT_MIB = 300;
const INDEX_LOAD_LIMIT_S = 5;
/** Rounds of each measurement; a limit is met only when every round is within it. */
const ROUNDS = 3;

/** 16 bytes: a PNG signature (so each is a document, not a skipped file) and the file's index. */
const fileName = (i) => `f${i}.png`;
function content(i) {
  const b = Buffer.alloc(16);
  PNG_SIGNATURE.copy(b, 0);
  b.writeBigUInt64BE(BigInt(i), 8);
  return b;
}

/** A manifest with one `completed` local-engine row per file, written once per corpus and reused. */
async function ensureManifest(corpus, files, log) {
  const file = `${corpus.dir}.manifest.jsonl`;
  const marker = `${file}.complete.json`;
  if (existsSync(marker)) return { file, ...JSON.parse(await readFile(marker, 'utf8')), reused: true };
  log(`generating a ${files}-row manifest (once; reused afterwards)`);
  const started = performance.now();
  const out = createWriteStream(file);
  const ts = new Date(Date.UTC(2026, 0, 1)).toISOString();
  for (let i = 0; i < files; i += 1) {
    const sha256 = createHash('sha256').update(content(i)).digest('hex');
    const source = path.join(corpus.dir, filePath(i, FILES_PER_DIR, fileName));
    const row = { job_id: `local_${sha256.slice(0, 32)}`, status: 'completed', source, sources: [source], sha256, target: 'local', ts, type: 'png', bytes: 16, pages: 1, text: `page ${i}`, elapsed_ms: 10 };
    if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const info = { rows: files, generationMs: Math.round(performance.now() - started) };
  await writeFile(marker, `${JSON.stringify(info)}\n`);
  return { file, ...info, reused: false };
}

const ocrqArgs = (...args) => [path.join(repoRoot, 'bin/ocrq.js'), ...args];

/** One round: a fresh --dry-run, a resume against the manifest, and `ocrq status` on it. */
async function measureOnce(corpus, manifest, tmp, files, k, log) {
  log(`memory round ${k + 1}: --dry-run over ${files} files`);
  const fresh = await runMeasured(process.execPath, ocrqArgs('submit', corpus.dir, '--dry-run', '--json', '--out', path.join(tmp, `fresh-${k}.jsonl`)), { cwd: tmp, outBase: path.join(tmp, `fresh-${k}`), peakRss: true });
  const freshSummary = await lastEvent(fresh.stdoutFile, 'summary');
  if (!freshSummary) throw new Error(`--dry-run: exit ${fresh.code}, no summary: ${await tail(fresh.stderrFile)}`);
  await rm(fresh.stdoutFile, { force: true });

  log(`memory round ${k + 1}: resume (--dry-run) against the ${files}-row manifest`);
  const marks = {};
  const watch = (line, ms) => {
    if (marks.startMs === undefined && line.startsWith('{"type":"start"')) {
      marks.startMs = ms;
      marks.start = JSON.parse(line);
    }
    if (marks.firstDocumentMs === undefined && line.startsWith('{"type":"document"')) marks.firstDocumentMs = ms;
    return marks.startMs !== undefined && marks.firstDocumentMs !== undefined;
  };
  const resume = await runMeasured(process.execPath, ocrqArgs('submit', corpus.dir, '--dry-run', '--json', '--out', manifest.file), { cwd: tmp, outBase: path.join(tmp, `resume-${k}`), peakRss: true, watch });
  const resumeSummary = await lastEvent(resume.stdoutFile, 'summary');
  if (!resumeSummary) throw new Error(`resume --dry-run: exit ${resume.code}, no summary: ${await tail(resume.stderrFile)}`);
  await rm(resume.stdoutFile, { force: true });

  log(`memory round ${k + 1}: ocrq status on the manifest`);
  const status = await runMeasured(process.execPath, ocrqArgs('status', manifest.file, '--json'), { cwd: tmp, outBase: path.join(tmp, `status-${k}`), peakRss: true });
  const statusOut = status.code === 0 ? JSON.parse(await readFile(status.stdoutFile, 'utf8')) : null;
  if (!statusOut) throw new Error(`status: exit ${status.code}: ${await tail(status.stderrFile)}`);

  const mib = (p) => mebibytes(p.peakRssKiB);
  const summary = (s) => ({ files: s.files, documents: s.documents, skipped: s.skipped, already_done: s.already_done, pending: s.pending, exit_code: s.exit_code });
  return {
    rssMethod: fresh.rssMethod,
    dryRun: { wallSeconds: round(fresh.wallMs / 1000, 2), cpuSeconds: fresh.cpuSeconds, peakRssMiB: mib(fresh), exitCode: fresh.code, summary: summary(freshSummary) },
    resume: {
      wallSeconds: round(resume.wallMs / 1000, 2),
      cpuSeconds: resume.cpuSeconds,
      peakRssMiB: mib(resume),
      exitCode: resume.code,
      startEventSeconds: marks.startMs === undefined ? null : round(marks.startMs / 1000, 2),
      resumedJobs: marks.start?.resumed_jobs ?? null,
      firstDocumentEventSeconds: marks.firstDocumentMs === undefined ? null : round(marks.firstDocumentMs / 1000, 2),
      summary: summary(resumeSummary),
    },
    status: { wallSeconds: round(status.wallMs / 1000, 2), cpuSeconds: status.cpuSeconds, peakRssMiB: mib(status), jobs: statusOut.jobs, byStatus: statusOut.by_status },
  };
}

export async function run({ log, quick }) {
  const files = quick ? 100_000 : 1_000_000;
  const corpus = await ensureCorpus(`memory-${files}`, { dirs: files / FILES_PER_DIR, perDir: FILES_PER_DIR, fileName, content, log });
  const manifest = await ensureManifest(corpus, files, log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ocrq-bench-memory-'));
  try {
    const rounds = [];
    for (let k = 0; k < ROUNDS; k += 1) rounds.push(await measureOnce(corpus, manifest, tmp, files, k, log));
    const n = files.toLocaleString('en-US');
    // Each figure as a share of its limit: the median of the rounds, with their range; met only when every round is.
    const row = (label, values, limit, unit, ok = () => true) => {
      const stats = ratioStats(values.map((v) => (v === null ? null : v / limit)));
      const finite = values.filter((v) => v !== null);
      const met = finite.length === values.length && finite.every((v) => v < limit) && rounds.every(ok);
      return { case: `${label} (median of ${ROUNDS})`, ocrq: finite.length ? `${round(median(finite), 2)} ${unit} (worst ${Math.max(...finite)})` : 'missing', baseline: '-', ...ratioFields(stats), target: `< ${limit} ${unit}`, met };
    };
    const rows = [
      row(`peak RSS, --dry-run over ${n} files`, rounds.map((r) => r.dryRun.peakRssMiB), RSS_LIMIT_MIB, 'MiB', (r) => r.dryRun.exitCode === 0),
      row(`peak RSS, resume vs ${n}-row manifest`, rounds.map((r) => r.resume.peakRssMiB), RSS_LIMIT_MIB, 'MiB', (r) => r.resume.exitCode === 0),
      row('resume index load (time to start event)', rounds.map((r) => r.resume.startEventSeconds), INDEX_LOAD_LIMIT_S, 's'),
      row(`ocrq status on ${n}-row manifest (wall)`, rounds.map((r) => r.status.wallSeconds), INDEX_LOAD_LIMIT_S, 's'),
    ];
    return {
      rows,
      details: {
        files,
        rounds: ROUNDS,
        rssMethod: rounds[0].rssMethod,
        ratio: 'value / target limit',
        corpus: { dir: corpus.dir, reused: corpus.reused, generationSeconds: round(corpus.generationMs / 1000, 1) },
        manifest: { file: manifest.file, rows: manifest.rows, reused: manifest.reused, generationSeconds: round(manifest.generationMs / 1000, 1) },
        runs: rounds,
      },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
