/**
 * Turns verified job deliveries into manifest rows, at most once each.
 *
 * - Per job id, the dedupe check and the append run one at a time: 50 concurrent copies of a delivery give one row.
 * - A delivery is a duplicate when its event id was already stored, when the job already has that status (for a
 *   terminal status: with the same outcome, or an outcome this process never saw), or when it would move a finished
 *   job back to `processing`. Duplicates append nothing.
 * - A *different* outcome for a finished job is a conflict. It is kept, without touching the first result: the row
 *   repeats the job's current status and carries the new outcome under `conflict` only, so the fold (which lets a
 *   later line's `text`/`error`/`status` win) still shows the first durable result.
 * - A delivery that says a job is done without carrying its result (LeapOCR: `needsResult`) records the job as
 *   `processing`: its one `completed` line is written once the result is fetched, with the text.
 * - Rows are built by rows.ts and appended through the manifest's one writer: a job whose document this process
 *   is processing (`submit --listen`) gets that document's hash and sources; otherwise the sources the manifest
 *   knows and the hash from `sha256Of`. What is not known is left out, so that no line puts `null` over a value.
 * - `record()` resolves only once the row is fsynced; it throws when the append or the fsync fails, and the caller
 *   answers 5xx so that the sender retries.
 */
import { createHash } from 'node:crypto';
import type { DocumentFailure } from '../errors.js';
import { deliveryConflictRow, deliveryRow, type DeliveredOutcome, type DeliveryLine, type Row } from '../manifest/rows.js';
import { TERMINAL_STATUSES, type JobStatus } from '../manifest/types.js';
import type { ManifestWriter } from '../manifest/writer.js';
import type { ResumeIndex } from '../manifest/resume-index.js';
import type { JobDelivery } from './payloads.js';

export type DeliveryOutcome = 'stored' | 'duplicate' | 'unmatched' | 'conflict';

export interface DeliveryStoreOptions {
  writer: ManifestWriter;
  index: ResumeIndex;
  now: () => number;
  /** Overrides "the manifest has a row for it" as the test of whether this run knows a job. */
  knownJob?: (jobId: string) => boolean;
  /** The content hash of a job the manifest knows, for the row's `sha256`. */
  sha256Of?: (jobId: string) => string | null | undefined;
}

/** Payload keys that change between deliveries of one outcome; left out when comparing outcomes. */
const VOLATILE_KEYS: ReadonlySet<string> = new Set(['event_id', 'event_type', 'timestamp', 'delivery_id', 'attempt']);

export class DeliveryStore {
  private readonly locks = new Map<string, Promise<void>>();
  /** `provider:event_id` of every delivery stored (or found duplicate) by this process. */
  private readonly seenEvents = new Set<string>();
  /** job id -> fingerprint of the outcome this process stored; conflicts already recorded, per job. */
  private readonly outcomes = new Map<string, string>();
  private readonly conflicts = new Map<string, Set<string>>();
  /** Jobs whose durable append failed, so the row may be written but not fsynced: a retry must see an fsync first. */
  private readonly unsynced = new Set<string>();

  constructor(private readonly options: DeliveryStoreOptions) {}

  /** `requireKnown`: unauthenticated senders may only update jobs this run knows (no forged or replayed jobs). */
  record(delivery: JobDelivery, requireKnown: boolean): Promise<DeliveryOutcome> {
    return this.withJobLock(delivery.jobId, () => this.decide(delivery, requireKnown));
  }

  private async decide(d: JobDelivery, requireKnown: boolean): Promise<DeliveryOutcome> {
    const { index, writer } = this.options;
    const eventKey = d.eventId === null ? null : `${d.provider}:${d.eventId}`;
    if (eventKey !== null && this.seenEvents.has(eventKey)) return this.duplicate(d.jobId);
    const indexed = index.get(d.jobId);
    // An outcome the pipeline has appended (a polled result) but not yet written counts as the job's status.
    const appended = writer.outcomeAppended(d.jobId);
    const entry = appended && indexed && !TERMINAL_STATUSES.has(indexed.status) ? { ...indexed, status: appended } : indexed;
    const known = this.options.knownJob ? this.options.knownJob(d.jobId) : entry !== undefined;
    if (!known && (requireKnown || this.options.knownJob)) return 'unmatched';

    const fingerprint = fingerprintOf(d);
    // Done, but the result is still to be fetched: the job is still in progress as far as the manifest goes.
    const status: JobStatus = d.needsResult ? 'processing' : d.status;
    let row: Row;
    let outcome: DeliveryOutcome = 'stored';
    if (entry && TERMINAL_STATUSES.has(entry.status)) {
      if (d.status === 'processing') return this.duplicate(d.jobId);
      const stored = this.outcomes.get(d.jobId);
      if (entry.status === d.status && (stored === undefined || stored === fingerprint)) return this.duplicate(d.jobId, eventKey);
      const seen = this.conflicts.get(d.jobId) ?? new Set<string>();
      if (seen.has(fingerprint)) return this.duplicate(d.jobId, eventKey);
      row = deliveryConflictRow(this.line(d, entry.status), { status: d.status, eventId: d.eventId, ...outcomeOf(d) });
      outcome = 'conflict';
    } else {
      if (entry && entry.status === status) return this.duplicate(d.jobId, eventKey);
      row = deliveryRow(this.line(d, status), outcomeOf(d));
    }
    // Marked before the append: when it fails, the row may still have been written without its fsync.
    this.unsynced.add(d.jobId);
    await writer.appendDurable(row);
    this.unsynced.delete(d.jobId);
    if (eventKey !== null) this.seenEvents.add(eventKey);
    if (outcome === 'conflict') {
      const seen = this.conflicts.get(d.jobId) ?? new Set<string>();
      this.conflicts.set(d.jobId, seen.add(fingerprint));
    } else if (status !== 'processing') this.outcomes.set(d.jobId, fingerprint);
    return outcome;
  }

  /** A duplicate's 2xx also promises durability: if this job's row was written but not fsynced, fsync first. */
  private async duplicate(jobId: string, eventKey: string | null = null): Promise<DeliveryOutcome> {
    if (this.unsynced.has(jobId)) {
      await this.options.writer.syncWritten();
      this.unsynced.delete(jobId);
    }
    if (eventKey !== null) this.seenEvents.add(eventKey);
    return 'duplicate';
  }

  /** Who the row is about: the document in progress for this job, else what the manifest knows of it. */
  private line(d: JobDelivery, status: JobStatus): DeliveryLine {
    const document = this.options.writer.documentFor(d.jobId);
    return {
      jobId: d.jobId,
      status,
      provider: d.provider,
      sources: document?.sources ?? this.options.index.get(d.jobId)?.sources ?? [],
      sha256: document?.sha256 ?? this.options.sha256Of?.(d.jobId),
      ts: new Date(this.options.now()).toISOString(),
      eventId: d.eventId,
    };
  }

  private async withJobLock<T>(jobId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(jobId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.locks.set(jobId, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.locks.get(jobId) === tail) this.locks.delete(jobId);
    }
  }
}

/** The outcome a delivery tells: text, pages, result, the provider's error. */
function outcomeOf(d: JobDelivery): DeliveredOutcome {
  return { text: d.text, pages: d.pages, result: d.result, error: deliveryFailure(d) };
}

/** A failed delivery's error as it is journaled (and reported): the provider's own code, its message after its name. */
export function deliveryFailure(d: JobDelivery): DocumentFailure | undefined {
  return d.error ? { code: d.error.code, message: `${d.provider}: ${d.error.message}`, category: 'provider' } : undefined;
}

/** Identifies an outcome regardless of which delivery (retry, other endpoint) carried it. */
export function fingerprintOf(d: JobDelivery): string {
  // A result that carries the text again (OCRQueen's document.markdown) has that value named, not escaped into JSON a
  // second time: `textKeys` lists the keys whose value is the text, which is hashed below, and they keep their
  // place in the result as null. Two outcomes get the same fingerprint exactly when they did with the value written.
  const textKeys: string[] = [];
  let result = d.result;
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const kept: Array<[string, unknown]> = [];
    for (const [key, value] of Object.entries(result)) {
      if (VOLATILE_KEYS.has(key)) continue;
      const isText = d.text !== undefined && value === d.text;
      if (isText) textKeys.push(key);
      kept.push([key, isText ? null : value]);
    }
    result = Object.fromEntries(kept);
  }
  // The text is hashed as it is (UTF-16 code units, lossless even for lone surrogates), after a head that gives its
  // length: escaping it into JSON cost more than the hash.
  let head: string;
  let text = d.text ?? '';
  try {
    head = JSON.stringify([d.status, d.text?.length ?? null, d.pages ?? null, d.error ?? null, result ?? null, textKeys]);
  } catch {
    // Too deeply nested to serialise: such a result cannot be compared, so every copy counts as the same.
    head = JSON.stringify([d.status, 'unserialisable']);
    text = '';
  }
  return createHash('sha256').update(head).update(text, 'utf16le').digest('hex');
}
