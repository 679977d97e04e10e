/**
 * What `ocrq listen` prints. `--json`: one NDJSON object per line on stdout, the first being the ready line (written
 * at once; later lines go out in batches, at most JSON_FLUSH_MS after their event). Otherwise plain lines on stderr
 * (stdout stays empty); `--quiet` keeps only errors. A low-credit event is written to stderr in every mode: the
 * batch is about to stall and someone must see it.
 */
import type { Writable } from 'node:stream';
import { escapeForDisplay } from '../output/display.js';
import { redact } from '../output/redact.js';
import { LOW_CREDIT_EVENTS, type EventDelivery, type JobDelivery } from './payloads.js';
import type { DeliveryOutcome, RejectedDelivery, WebhookServerStats } from './webhook-server.js';
import type { ForwardResult } from './forward.js';

/** The server's counters, plus how the listener ended. */
export interface ListenSummary extends WebhookServerStats {
  exitCode: number;
  /** The listener's URL; null when it never started. */
  url: string | null;
  /** Jobs of the --until-done manifest still waiting for a result. */
  pending: number | null;
  interrupted: boolean;
  timedOut: boolean;
}

export type ReportMode = 'json' | 'plain' | 'quiet';

/** NDJSON lines wait at most this long before they are written, so that a burst of deliveries is one write. */
export const JSON_FLUSH_MS = 50;

export class ListenReporter {
  /** With --json the ready line must be the first stdout line: warnings found before it wait here. */
  private early: string[] | null = [];
  /**
   * NDJSON lines not yet written (at most JSON_FLUSH_MS). A write per line, or even per group of deliveries, woke
   * the reader of the pipe each time, and on a busy machine the listener then waited for the reader to run.
   */
  private pending = '';
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly mode: ReportMode,
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  ready(url: string, detail: string): void {
    if (this.mode === 'json') this.json({ type: 'ready', url });
    else if (this.mode === 'plain') this.line(`listening on ${url} (${escapeForDisplay(detail)}); Ctrl-C to stop`);
    const early = this.early ?? [];
    this.early = null;
    for (const message of early) this.warning(message);
    this.flush();
  }

  /** The listener never started: warnings held back for the ready line go to stderr. */
  abandon(): void {
    this.flush();
    const early = this.early ?? [];
    this.early = null;
    for (const message of early) this.line(`warning: ${escapeForDisplay(redact(message))}`);
  }

  delivery(d: JobDelivery, outcome: DeliveryOutcome): void {
    if (this.mode === 'json') {
      this.json({ type: 'delivery', provider: d.provider, job_id: d.jobId, event_id: d.eventId, status: d.status, outcome, ...(d.error ? { error: d.error } : {}) });
    } else if (this.mode === 'plain') {
      const what = outcome === 'conflict' ? 'conflict: kept the first result, recorded this one beside it' : outcome === 'unmatched' ? 'not a job of this manifest; not stored' : outcome;
      const code = d.error ? ` ${escapeForDisplay(d.error.code)}` : '';
      this.line(`${d.provider} ${escapeForDisplay(d.jobId)} ${d.status}${code}: ${what}`);
    }
  }

  event(e: EventDelivery): void {
    const lowCredit = LOW_CREDIT_EVENTS.has(e.type);
    if (this.mode === 'json') this.json({ type: 'provider_event', provider: e.provider, event: e.type, event_id: e.eventId, low_credit: lowCredit, data: e.data });
    else if (this.mode === 'plain' && !lowCredit) this.line(`${e.provider} event ${escapeForDisplay(e.type)}`);
    if (lowCredit) {
      const depleted = e.type === 'credits.depleted';
      this.stderr.write(
        `ocrq: WARNING: ${e.provider} reports ${depleted ? 'its credits are used up' : 'low credits'}${creditDetail(e.data)}; ` +
          `${depleted ? 'jobs are stalled' : 'the batch will stall when they run out'}. Add credits in the ${e.provider} dashboard.\n`,
      );
    }
  }

  rejected(r: RejectedDelivery): void {
    const reason = redact(r.reason);
    if (this.mode === 'json') this.json({ type: 'rejected', status: r.status, provider: r.provider, reason });
    else if (this.mode === 'plain') this.line(`rejected a delivery${r.provider ? ` for ${r.provider}` : ''} (${r.status}: ${escapeForDisplay(reason)})`);
  }

  forward(result: ForwardResult): void {
    if (this.mode === 'json') this.json({ type: 'forward', ...result });
    else if (this.mode === 'plain') {
      this.line('status' in result ? `forwarded to ${result.url}: ${result.status}` : `could not forward to ${result.url}: ${escapeForDisplay(result.error)}`);
    }
  }

  storeError(error: Error, d: JobDelivery): void {
    const message = `could not store the delivery for ${d.provider} job ${d.jobId} (answered 500, the sender will retry): ${redact(error.message)}`;
    if (this.mode === 'json') this.json({ type: 'error', provider: d.provider, job_id: d.jobId, message });
    this.stderr.write(`ocrq: error: ${escapeForDisplay(message)}\n`);
  }

  warning(message: string): void {
    if (this.mode === 'json' && this.early) this.early.push(message);
    else if (this.mode === 'json') this.json({ type: 'warning', message: redact(message) });
    else if (this.mode === 'plain') this.line(`warning: ${escapeForDisplay(redact(message))}`);
  }

  summary(s: ListenSummary): void {
    if (this.mode === 'json') {
      this.json({
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
        timed_out: s.timedOut,
        exit_code: s.exitCode,
      });
      this.flush();
      return;
    }
    if (this.mode === 'quiet') return;
    const pending = s.pending === null ? '' : `, ${s.pending} jobs still pending`;
    const conflicts = s.conflicts > 0 ? `, ${s.conflicts} conflicting results kept beside the first` : '';
    const stop = s.interrupted ? 'interrupted' : s.timedOut ? 'timed out' : 'done';
    this.line(
      `${stop}: ${s.deliveries} deliveries, ${s.stored} stored, ${s.duplicates} duplicates, ${s.unmatched} unmatched, ` +
        `${s.events} events, ${s.rejected} rejected, ${s.failed} not stored (write failed)${conflicts}${pending}`,
    );
  }

  private json(event: Record<string, unknown>): void {
    this.pending += `${JSON.stringify(event)}\n`;
    this.flushTimer ??= setTimeout(() => this.flush(), JSON_FLUSH_MS);
  }

  /** Writes the lines held back; the ready and summary lines are written at once. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    this.stdout.write(lines);
  }

  private line(text: string): void {
    this.stderr.write(`ocrq: ${text}\n`);
  }
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
