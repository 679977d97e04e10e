/**
 * What `ocrq listen` prints. `--json`: one NDJSON object per event on stdout (the writer submit uses), the first being
 * the ready line, written at once; later lines go out in batches, at most LISTEN_JSON_DELAY_MS after their event.
 * Otherwise plain lines on stderr (stdout stays empty); `--quiet` keeps only errors. A low-credit event is written to
 * stderr in every mode: the batch is about to stall and someone must see it.
 */
import type { Writable } from 'node:stream';
import { ExitCode } from '../errors.js';
import { escapeForDisplay } from './display.js';
import { plural } from './format.js';
import type { ListenEvent, ListenSummary } from './events.js';
import { NdjsonWriter } from './ndjson.js';
import { redact } from './redact.js';
import type { Reporter } from './reporter.js';

export type ListenReporterKind = 'json' | 'plain' | 'quiet';

/**
 * NDJSON lines wait at most this long before they are written, so that a burst of deliveries is one write: a write
 * per line, or even per group of deliveries, woke the reader of the pipe each time.
 */
export const LISTEN_JSON_DELAY_MS = 50;

export function chooseListenReporterKind(opts: { json: boolean; quiet: boolean }): ListenReporterKind {
  return opts.json ? 'json' : opts.quiet ? 'quiet' : 'plain';
}

/** `detail` follows the URL on the plain ready line (what is listened for, and where it goes). */
export function createListenReporter(kind: ListenReporterKind, io: { stdout: Writable; stderr: Writable }, detail: string): Reporter<ListenEvent> {
  return kind === 'json' ? new ListenJsonReporter(io.stdout, io.stderr) : new ListenTextReporter(io.stderr, kind === 'quiet', detail);
}

class ListenJsonReporter implements Reporter<ListenEvent> {
  private readonly out: NdjsonWriter;
  /** The ready line must be the first stdout line: warnings found before it wait here. */
  private early: string[] | null = [];

  constructor(
    stdout: Writable,
    private readonly stderr: Writable,
  ) {
    this.out = new NdjsonWriter(stdout, LISTEN_JSON_DELAY_MS);
  }

  emit(event: ListenEvent): void {
    switch (event.type) {
      case 'ready': {
        this.out.write(event);
        const early = this.early ?? [];
        this.early = null;
        for (const message of early) this.out.write({ type: 'warning', message: redact(message) });
        this.out.flush();
        return;
      }
      case 'warning':
        if (this.early) this.early.push(event.message);
        else this.out.write({ type: 'warning', message: redact(event.message) });
        return;
      case 'rejected':
        this.out.write({ ...event, reason: redact(event.reason) });
        return;
      case 'provider_event':
        this.out.write(event);
        lowCredit(event, this.stderr);
        return;
      case 'error':
        this.out.write(event);
        storeError(event, this.stderr);
        return;
      case 'summary':
        this.out.write(summaryLine(event.summary));
        this.out.flush();
        return;
      default:
        this.out.write(event);
    }
  }

  /** Writes the lines still held; warnings held for a ready line that never came go to stderr. */
  close(): void {
    this.out.flush();
    const early = this.early ?? [];
    this.early = null;
    for (const message of early) this.stderr.write(`ocrq: warning: ${escapeForDisplay(redact(message))}\n`);
  }
}

class ListenTextReporter implements Reporter<ListenEvent> {
  constructor(
    private readonly err: Writable,
    private readonly quiet: boolean,
    private readonly detail: string,
  ) {}

  emit(event: ListenEvent): void {
    if (event.type === 'provider_event') lowCredit(event, this.err);
    if (event.type === 'error') storeError(event, this.err);
    if (this.quiet) return;
    switch (event.type) {
      case 'ready':
        return this.line(`listening on ${event.url} (${escapeForDisplay(this.detail)}); Ctrl-C to stop`);
      case 'delivery': {
        const what = event.outcome === 'conflict' ? 'conflict: kept the first result, recorded this one beside it' : event.outcome === 'unmatched' ? 'not a job of this manifest; not stored' : event.outcome;
        const code = event.error ? ` ${escapeForDisplay(event.error.code)}` : '';
        return this.line(`${event.provider} ${escapeForDisplay(event.job_id)} ${event.status}${code}: ${what}`);
      }
      case 'provider_event':
        if (!event.low_credit) this.line(`${event.provider} event ${escapeForDisplay(event.event)}`);
        return;
      case 'rejected':
        return this.line(`rejected a delivery${event.provider ? ` for ${event.provider}` : ''} (${event.status}: ${escapeForDisplay(redact(event.reason))})`);
      case 'forward':
        return this.line('status' in event ? `forwarded to ${event.url}: ${event.status}` : `could not forward to ${event.url}: ${escapeForDisplay(event.error)}`);
      case 'warning':
        return this.line(`warning: ${escapeForDisplay(redact(event.message))}`);
      case 'summary':
        return this.line(summaryText(event.summary));
      default:
    }
  }

  close(): void {}

  private line(text: string): void {
    this.err.write(`ocrq: ${text}\n`);
  }
}

/** The summary as its NDJSON line: flat, like submit's. */
function summaryLine(s: ListenSummary): Record<string, unknown> {
  return {
    type: 'summary',
    url: s.url,
    deliveries: s.deliveries,
    stored: s.stored,
    duplicates: s.duplicates,
    conflicts: s.conflicts,
    unmatched: s.unmatched,
    events: s.events,
    rejected: s.rejected,
    failed: s.failed,
    pending: s.pending,
    interrupted: s.interrupted,
    timed_out: s.timed_out,
    exit_code: s.exit_code,
    manifest: s.manifest,
  };
}

/**
 * One line, in submit's style: how listening ended, what was stored, and where.
 * `listen: stopped on SIGINT; 12 deliveries stored of 14 received (1 duplicate, 1 rejected); manifest run.jsonl`
 */
export function summaryText(s: ListenSummary): string {
  const stop =
    s.exit_code === ExitCode.Interrupted ? 'stopped on SIGINT'
    : s.exit_code === ExitCode.Terminated ? 'stopped on SIGTERM'
    : s.exit_code === ExitCode.ClosedPipe ? 'stopped: its output was closed (SIGPIPE)'
    : s.timed_out ? 'stopped: --timeout ran out'
    : s.interrupted ? 'stopped'
    : 'done: every job finished (--until-done)';
  const others = [
    s.duplicates > 0 ? plural(s.duplicates, 'duplicate') : '',
    s.conflicts > 0 ? `${plural(s.conflicts, 'conflicting result')} kept beside the first` : '',
    s.unmatched > 0 ? `${s.unmatched} unmatched` : '',
    s.events > 0 ? plural(s.events, 'provider event') : '',
    s.rejected > 0 ? `${s.rejected} rejected` : '',
    s.failed > 0 ? `${s.failed} not stored (write failed)` : '',
  ].filter(Boolean);
  const received = s.deliveries === s.stored ? '' : ` of ${s.deliveries} received`;
  const detail = others.length > 0 ? ` (${others.join(', ')})` : '';
  const pending = s.pending ? `; ${plural(s.pending, 'job')} still pending` : '';
  const stored = `${s.stored} ${s.stored === 1 ? 'delivery' : 'deliveries'} stored`;
  return `listen: ${stop}; ${stored}${received}${detail}${pending}; manifest ${escapeForDisplay(s.manifest)}`;
}

/** In every mode: a delivery that could not be stored is an error someone must see. */
function storeError(event: Extract<ListenEvent, { type: 'error' }>, stderr: Writable): void {
  stderr.write(`ocrq: error: ${escapeForDisplay(event.error.message)}\n`);
}

/** In every mode: the provider is about to stop processing jobs. */
function lowCredit(event: Extract<ListenEvent, { type: 'provider_event' }>, stderr: Writable): void {
  if (!event.low_credit) return;
  const depleted = event.event === 'credits.depleted';
  stderr.write(
    `ocrq: WARNING: ${event.provider} reports ${depleted ? 'its credits are used up' : 'low credits'}${creditDetail(event.data)}; ` +
      `${depleted ? 'jobs are stalled' : 'the batch will stall when they run out'}. Add credits in the ${event.provider} dashboard.\n`,
  );
}

function creditDetail(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ['current_balance', 'threshold', 'estimated_jobs_remaining', 'jobs_queued']) {
    if (typeof d[key] === 'number') parts.push(`${key.replace(/_/g, ' ')} ${d[key] as number}`);
  }
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
