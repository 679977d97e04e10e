// The rules a fuzz run of `ocrq submit --json` must keep, shared by scripts/fuzz.mjs and the fuzz test.
//
// Whatever the documents, a run ends on its own with exit 0, 3 or 4; stdout is NDJSON ending in the summary;
// every input has exactly one row in the folded manifest, `completed`, `failed` or `skipped`, and a row that
// is not completed says why (`error.code`).
import fs from 'node:fs';

/** Exit codes a run over any documents may end with: all completed, partial, all failed. */
export const ALLOWED_EXIT_CODES = [0, 3, 4];
const FINAL_STATUSES = new Set(['completed', 'failed', 'skipped']);

/** Parses NDJSON; `torn` tolerates an unfinished last line (a process that was killed). */
export function parseEvents(stdout, { torn = false } = {}) {
  const events = [];
  const errors = [];
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    try {
      const e = JSON.parse(line);
      if (!e || typeof e !== 'object' || typeof e.type !== 'string') errors.push(`stdout line ${i + 1} is not an event: ${line.slice(0, 120)}`);
      else events.push(e);
    } catch {
      if (!(torn && i === lines.length - 1)) errors.push(`stdout line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
    }
  });
  return { events, errors };
}

/** Manifest lines folded by job id (later lines update earlier ones, sources accumulate, superseded jobs left out). */
export function foldManifest(text) {
  const rows = new Map();
  const errors = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      errors.push(`manifest line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
      return;
    }
    if (!row || typeof row.job_id !== 'string') {
      errors.push(`manifest line ${i + 1} has no job_id`);
      return;
    }
    const prev = rows.get(row.job_id);
    const sources = [...(prev?.sources ?? [])];
    for (const s of [row.source, ...(row.sources ?? [])]) if (s && !sources.includes(s)) sources.push(s);
    rows.set(row.job_id, { ...prev, ...row, source: prev?.source ?? row.source, sources });
  });
  for (const [id, row] of rows) if (typeof row.superseded_by === 'string' && row.superseded_by) rows.delete(id);
  return { rows, errors };
}

/** What a limit was about, from the error (a `limit` field when the engine gives one, else its message). */
export function limitKind(error) {
  if (typeof error?.limit === 'string') return error.limit;
  const m = String(error?.message ?? '');
  if (/second|time|took|slow/i.test(m)) return 'time';
  if (/memory|heap|rss|MiB|MB\b/i.test(m)) return 'memory';
  if (/pixel/i.test(m)) return 'pixels';
  if (/pages?\b/i.test(m)) return 'pages';
  return 'other';
}

/** The outcome of one row as counted in reports: `completed`, `failed PDF_INVALID`, `failed LIMIT_EXCEEDED(time)`. */
export function outcomeKey(row) {
  if (!row) return 'no row';
  if (row.status === 'completed') return 'completed';
  const code = row.error?.code ?? '(no code)';
  return `${row.status} ${code}${code === 'LIMIT_EXCEEDED' ? `(${limitKind(row.error)})` : ''}`;
}

/**
 * Checks one run. `run` is `{ code, signal, timedOut, stdout, manifest }` (manifest text, '' when absent);
 * `sources` are the inputs as the CLI names them. Returns `{ violations, runViolations, bySource, events }`:
 * run-level violations (exit code, signal, timeout, stdout) and per-input ones (`{ source, rule, detail }`),
 * and each input's folded row.
 */
export function checkRun(run, sources) {
  const runViolations = [];
  const violations = [];
  const crashed = run.timedOut || run.signal != null || !ALLOWED_EXIT_CODES.includes(run.code);
  if (run.timedOut) runViolations.push({ rule: 'timeout', detail: run.timedOut });
  else if (run.signal) runViolations.push({ rule: 'signal', detail: `killed by ${run.signal}` });
  else if (!ALLOWED_EXIT_CODES.includes(run.code)) runViolations.push({ rule: 'exit-code', detail: `exit ${run.code}` });

  const { events, errors } = parseEvents(run.stdout, { torn: crashed });
  for (const e of errors) runViolations.push({ rule: 'ndjson', detail: e });
  const summary = events.at(-1)?.type === 'summary' ? events.at(-1) : null;
  if (!crashed) {
    if (!summary) runViolations.push({ rule: 'ndjson', detail: 'the last stdout line is not the summary' });
    else if (summary.exit_code !== run.code) runViolations.push({ rule: 'summary', detail: `summary says exit ${summary.exit_code}, process exited ${run.code}` });
  }

  const { rows, errors: manifestErrors } = foldManifest(run.manifest ?? '');
  for (const e of manifestErrors) runViolations.push({ rule: 'manifest', detail: e });
  const bySource = new Map(sources.map((s) => [s, []]));
  for (const row of rows.values()) {
    for (const s of row.sources) {
      const list = bySource.get(s);
      if (list) list.push(row);
      else violations.push({ source: s, rule: 'unexpected-row', detail: `a row for an input that was not given (${row.job_id})` });
    }
  }
  const counts = { completed: 0, failed: 0, skipped: 0 };
  for (const row of rows.values()) if (row.status in counts) counts[row.status]++;
  if (!crashed && summary) {
    for (const k of Object.keys(counts)) {
      if (summary[k] !== counts[k]) runViolations.push({ rule: 'summary', detail: `summary ${k} ${summary[k]}, manifest ${counts[k]}` });
    }
  }
  const rowOf = new Map();
  for (const [source, list] of bySource) {
    if (list.length !== 1) {
      // After a crash the inputs in flight have no row: that is the crash's violation, not theirs.
      if (!(crashed && list.length === 0)) violations.push({ source, rule: 'rows', detail: `${list.length} folded rows` });
      rowOf.set(source, list[0]);
      continue;
    }
    const row = list[0];
    rowOf.set(source, row);
    if (!FINAL_STATUSES.has(row.status)) violations.push({ source, rule: 'status', detail: `status ${row.status}` });
    else if (row.status !== 'completed' && !(typeof row.error?.code === 'string' && row.error.code)) {
      violations.push({ source, rule: 'error-code', detail: `${row.status} without error.code` });
    }
  }
  return { runViolations, violations, rows: rowOf, events, summary };
}

/**
 * Entries of a folder in the order the file system lists them (unsorted), which is the order the CLI's walk
 * takes them in; named `prefix/name` like the CLI's sources.
 */
export function listingOrder(dir, prefix) {
  const names = [];
  const d = fs.opendirSync(dir);
  for (let e; (e = d.readSync()); ) names.push(`${prefix}/${e.name}`);
  d.closeSync();
  return names;
}

/**
 * Inputs a run never finished (no row, no `document` event), in the order it took them. The run holds at most
 * a few documents at once (2 × workers + 1 for the local engine) and takes inputs in listing order, so the
 * first of these were in flight when it broke.
 */
export function unfinished(check, order) {
  const done = new Set([...check.rows].filter(([, row]) => row).map(([s]) => s));
  for (const e of check.events) if (e.type === 'document') done.add(e.source);
  return order.filter((s) => !done.has(s));
}
