/**
 * Every manifest line ocrq writes is built here, one named builder per kind of line, so that the fold rule of the
 * README ("The manifest") holds by construction: a plain object merge of a job's lines, in order, is its folded row.
 *
 * - A builder never writes `null` over what an earlier line may know: a field it is not given (or given as null or
 *   undefined) is left out. The one null ocrq writes is a skipped row's `sha256` for content that was never read,
 *   whose job id comes from its source, so no line of that job ever knows a hash.
 * - Every line about a document's content carries its `sha256` and all of its `sources` known so far (`source` is
 *   the first), so the last line's list is the union.
 * - Bookkeeping lines end with the status `superseded`: an intent once the provider's job id is known, a job replaced
 *   by a retry.
 *
 * Builders are pure (the caller gives the time); `ManifestWriter` (writer.ts) appends only rows made here.
 */
import { MIME_TYPES, type DocType } from '../documents/types.js';
import type { DocumentFailure } from '../errors.js';
import type { JobStatus, ManifestRow } from './types.js';

declare const built: unique symbol;
/** A manifest line made by a builder of this module: the only kind `ManifestWriter` appends. */
export type Row = ManifestRow & { readonly [built]: true };

/** Who a line is about, for lines about a document's content (the pipeline knows the content it processes). */
export interface ContentLine {
  jobId: string;
  /** Every source of the content known so far, first-seen first. */
  sources: readonly string[];
  sha256: string;
  /** `local` or the provider name. */
  target: string;
  /** ISO-8601 time of the line. */
  ts: string;
}

/** What was sniffed and measured of a document's bytes. */
export interface DocumentFacts {
  type: DocType;
  bytes: number;
}

export interface CompletedOutcome {
  pages: number;
  result: unknown;
  text?: string;
  elapsedMs: number;
  /** With --results-dir: where the text was written. */
  textPath?: string;
  /** Pages marked low confidence; written when above 0, and as 0 over an earlier outcome's count. */
  lowConfidencePages?: number;
  /** The settings the result was made with (src/manifest/settings.ts). */
  settings?: Readonly<Record<string, string>>;
}

export interface FailedOutcome {
  error: DocumentFailure;
  pages?: number;
  /** 0 over an earlier outcome's count of low-confidence pages, so that a plain merge never keeps a stale one. */
  lowConfidencePages?: number;
  /** Left out for a document given up before it was opened. */
  elapsedMs?: number;
}

/** A job's outcome as a webhook delivery told it (the provider's error already in ocrq's shape). */
export interface DeliveredOutcome {
  text?: string;
  pages?: number;
  result?: unknown;
  error?: DocumentFailure;
}

export interface DeliveryLine {
  jobId: string;
  status: JobStatus;
  /** The provider that sent the delivery: the line's `target`. */
  provider: string;
  /** Every source known for the job; empty for a job the manifest has never seen (then `source` is left out). */
  sources: readonly string[];
  /** Left out when not known (a job this process has no hash for). */
  sha256?: string | null;
  ts: string;
  /** The provider's event id, when the delivery carries one. */
  eventId?: string | null;
}

/**
 * The local engine starts an attempt: `processing` with the count of attempts that never finished, this one
 * included, journaled before the document is opened (README "Budgets and hostile documents").
 */
export function attemptRow(line: ContentLine, doc: DocumentFacts, unfinishedAttempts: number): Row {
  const row = contentRow(line, 'processing', doc);
  row.unfinished_attempts = unfinishedAttempts;
  return row as Row;
}

/** A clean stop (SIGINT, SIGTERM) takes the attempt back: it was not a crash. */
export function attemptTakenBackRow(line: ContentLine, unfinishedAttempts: number): Row {
  const row = contentRow(line, 'processing');
  row.unfinished_attempts = unfinishedAttempts;
  return row as Row;
}

/** A remote submit about to be sent, under an `intent_…` job id, with the idempotency key it is sent with. */
export function intentRow(line: ContentLine, doc: DocumentFacts, idempotencyKey: string): Row {
  const row = contentRow(line, 'submitted', doc);
  row.idempotency_key = idempotencyKey;
  return row as Row;
}

/**
 * The provider accepted the submit: its job id, the key it was sent with, its own status word when it gave one, and the
 * settings of the run that submitted it.
 */
export function submittedRow(
  line: ContentLine,
  doc: DocumentFacts,
  submitted: { idempotencyKey: string; providerStatus?: string; settings?: Readonly<Record<string, string>> },
): Row {
  const row = contentRow(line, 'submitted', doc);
  row.idempotency_key = submitted.idempotencyKey;
  set(row, 'provider_status', submitted.providerStatus);
  // The settings the job is made with, known from here: a result delivered by webhook carries none of its own.
  set(row, 'settings', submitted.settings);
  return row as Row;
}

/** The last line of a bookkeeping job: an intent whose provider job id is known, or a job replaced by a retry. */
export function supersededRow(line: ContentLine, doc: DocumentFacts, supersededBy: string): Row {
  const row = contentRow(line, 'superseded', doc);
  row.superseded_by = supersededBy;
  return row as Row;
}

export function completedRow(line: ContentLine, doc: DocumentFacts, outcome: CompletedOutcome): Row {
  const row = contentRow(line, 'completed', doc);
  row.elapsed_ms = outcome.elapsedMs;
  row.pages = outcome.pages;
  set(row, 'result', outcome.result);
  set(row, 'text', outcome.text);
  set(row, 'text_path', outcome.textPath);
  set(row, 'low_confidence_pages', outcome.lowConfidencePages);
  set(row, 'settings', outcome.settings);
  return row as Row;
}

export function failedRow(line: ContentLine, doc: DocumentFacts, outcome: FailedOutcome): Row {
  const row = contentRow(line, 'failed', doc);
  set(row, 'elapsed_ms', outcome.elapsedMs);
  row.error = outcome.error;
  set(row, 'pages', outcome.pages);
  set(row, 'low_confidence_pages', outcome.lowConfidencePages);
  return row as Row;
}

/**
 * More sources for a job whose row is already written (a copy met later, or while its row was being written): the
 * job's status again, and every source.
 */
export function sourcesRow(line: ContentLine, status: JobStatus): Row {
  return contentRow(line, status) as Row;
}

/**
 * An input that is not processed: refused by the walker, unreadable, or not a document. `sha256` is null for
 * content never read (its job id then comes from the source, so no other line of the job knows a hash).
 */
export function skippedRow(skipped: { jobId: string; sources: readonly string[]; sha256: string | null; target: string; ts: string; error: DocumentFailure }): Row {
  const sources = [...skipped.sources];
  const row: Record<string, unknown> = { job_id: skipped.jobId, status: 'skipped' };
  set(row, 'source', sources[0]);
  row.sources = sources;
  row.sha256 = skipped.sha256;
  row.target = skipped.target;
  row.ts = skipped.ts;
  row.error = skipped.error;
  return row as Row;
}

/**
 * A job outcome from a webhook delivery (`via: "webhook"`). `source` and `sha256` are left out when not known, so
 * that a plain merge keeps the values the submit lines gave.
 */
export function deliveryRow(line: DeliveryLine, outcome: DeliveredOutcome): Row {
  const row = deliveryBase(line);
  set(row, 'event_id', line.eventId);
  set(row, 'text', outcome.text);
  set(row, 'pages', outcome.pages);
  set(row, 'result', outcome.result);
  set(row, 'error', outcome.error);
  return row as Row;
}

/**
 * A second, different outcome for a finished job: the line repeats the job's current status and carries the new
 * outcome (with its status and event id) under `conflict` only, so the fold still shows the first durable result.
 */
export function deliveryConflictRow(line: Omit<DeliveryLine, 'eventId'>, conflict: { status: JobStatus; eventId?: string | null } & DeliveredOutcome): Row {
  const row = deliveryBase(line);
  const kept: Record<string, unknown> = { status: conflict.status };
  set(kept, 'event_id', conflict.eventId);
  set(kept, 'text', conflict.text);
  set(kept, 'pages', conflict.pages);
  set(kept, 'result', conflict.result);
  set(kept, 'error', conflict.error);
  row.conflict = kept;
  return row as Row;
}

function contentRow(line: ContentLine, status: JobStatus, doc?: DocumentFacts): Record<string, unknown> {
  const sources = [...line.sources];
  const row: Record<string, unknown> = { job_id: line.jobId, status };
  set(row, 'source', sources[0]);
  row.sources = sources;
  row.sha256 = line.sha256;
  row.target = line.target;
  row.ts = line.ts;
  if (doc) {
    row.type = doc.type;
    row.mime = MIME_TYPES[doc.type];
    row.bytes = doc.bytes;
  }
  return row;
}

function deliveryBase(line: Omit<DeliveryLine, 'eventId'>): Record<string, unknown> {
  const row: Record<string, unknown> = { job_id: line.jobId, status: line.status };
  set(row, 'source', line.sources[0]);
  row.sources = [...line.sources];
  set(row, 'sha256', line.sha256);
  row.target = line.provider;
  row.ts = line.ts;
  row.via = 'webhook';
  return row;
}

/** Sets a field only when there is something to say: an unknown value is left out, never written as null. */
function set(row: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== null) row[key] = value;
}
