import { resolve } from 'node:path';
import { ResumeIndex } from '../../manifest/resume-index.js';
import { warnTo, writeToStream } from '../../manifest/write-stream.js';
import { formatCount, plural } from '../../output/format.js';
import { ExitCode } from '../../errors.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { StatusOptions } from './options.js';

export type { StatusOptions } from './options.js';

export interface StatusSummary {
  jobs: number;
  by_status: Record<string, number>;
  failures_by_code: Record<string, number>;
  /** Job ids still submitted or processing, in manifest order. */
  pending: string[];
  /** Completed documents with at least one page read with low OCR confidence, and those pages. */
  low_confidence_documents: number;
  low_confidence_pages: number;
}

/** Statuses always present in `by_status` (with 0), in this order; any others follow. */
export const KNOWN_STATUSES = ['submitted', 'processing', 'completed', 'failed', 'skipped'] as const;
const PENDING_STATUSES = new Set(['submitted', 'processing']);
/** A failed row without an error code is counted under this code. */
export const UNKNOWN_FAILURE_CODE = 'UNKNOWN';
/** The human table lists at most this many pending job ids. */
export const MAX_PENDING_SHOWN = 20;

/** Counts the folded manifest. Reads only: takes no lock; holds the resume index, nothing per job besides. */
export async function status(options: StatusOptions, deps: CommandDeps): Promise<CommandResult<StatusSummary>> {
  const manifest = resolve(deps.cwd, options.manifest);
  const index = await ResumeIndex.load(manifest, { repair: options.repair, onWarning: options.quiet ? () => {} : warnTo(deps.stderr) });
  const summary = summarise(index.statuses());
  if (options.quiet) return { exitCode: ExitCode.Ok, summary };
  const output = options.json ? `${JSON.stringify(summary)}\n` : formatTable(options.manifest, summary);
  await writeToStream(deps.stdout, (async function* () {
    yield output;
  })());
  return { exitCode: ExitCode.Ok, summary };
}

function summarise(jobs: Iterable<[jobId: string, status: string, errorCode: string | undefined, lowConfidencePages: number]>): StatusSummary {
  const byStatus = new Map<string, number>(KNOWN_STATUSES.map((s) => [s, 0]));
  const failures = new Map<string, number>();
  const pending: string[] = [];
  let count = 0;
  let lowDocuments = 0;
  let lowPages = 0;
  for (const [jobId, status, errorCode, lowConfidencePages] of jobs) {
    count++;
    if (status === 'completed' && lowConfidencePages > 0) {
      lowDocuments++;
      lowPages += lowConfidencePages;
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (status === 'failed') {
      const code = errorCode ?? UNKNOWN_FAILURE_CODE;
      failures.set(code, (failures.get(code) ?? 0) + 1);
    }
    if (PENDING_STATUSES.has(status)) pending.push(jobId);
  }
  // Object.fromEntries defines own properties, so a status or code named "__proto__" stays a plain key.
  return {
    jobs: count,
    by_status: Object.fromEntries(byStatus),
    failures_by_code: Object.fromEntries([...failures].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    pending,
    low_confidence_documents: lowDocuments,
    low_confidence_pages: lowPages,
  };
}

/** Job ids and codes come from files and providers: control characters must not reach the terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function formatTable(name: string, summary: StatusSummary): string {
  const lines = [`manifest ${printable(name)}: ${plural(summary.jobs, 'job')}`];
  const section = (title: string, counts: Record<string, number>, showZero: boolean): void => {
    const entries = Object.entries(counts).filter(([, n]) => showZero || n > 0);
    if (entries.length === 0) return;
    const width = Math.max(...entries.map(([key]) => printable(key).length));
    const digits = Math.max(...entries.map(([, n]) => formatCount(n).length));
    if (title) lines.push(title);
    for (const [key, n] of entries) lines.push(`  ${printable(key).padEnd(width)}  ${formatCount(n).padStart(digits)}`);
  };
  section('', summary.by_status, false);
  section('failures by code:', summary.failures_by_code, false);
  if (summary.low_confidence_pages > 0) {
    lines.push(`low confidence: ${plural(summary.low_confidence_pages, 'page')} in ${plural(summary.low_confidence_documents, 'document')} (ocrq export --low-confidence lists them)`);
  }
  if (summary.pending.length > 0) {
    lines.push(`pending (${formatCount(summary.pending.length)}):`);
    for (const jobId of summary.pending.slice(0, MAX_PENDING_SHOWN)) lines.push(`  ${printable(jobId)}`);
    const more = summary.pending.length - MAX_PENDING_SHOWN;
    if (more > 0) lines.push(`  … and ${formatCount(more)} more (ocrq status --json lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}
