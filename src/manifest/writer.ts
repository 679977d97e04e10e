/**
 * The one writer of a manifest in a process. `submit` (the pipeline, the remote target it drives, and its own webhook
 * listener) and `listen` each open the journal once and hand this object to everything that writes; nothing else
 * holds the journal. It appends only rows made by the builders of rows.ts, so every line follows the fold rule.
 *
 * It also knows the documents being processed in this process (their content hash and every source gathered so
 * far), so that a webhook delivery for one of their jobs is written with the same `sha256` and `sources` as the
 * pipeline's own lines.
 */
import type { JobStatus, ManifestRow } from './types.js';
import {
  intentRow,
  submittedRow,
  supersededRow,
  type ContentLine,
  type DocumentFacts,
  type Row,
} from './rows.js';

/** Where rows go: the journal (jsonl.ts), or nothing for a dry run. */
export interface ManifestSink {
  append(row: ManifestRow): Promise<void>;
  /** Appends the row; resolves once it is written and fsynced. Without it: append(), then syncWritten(). */
  appendDurable?(row: ManifestRow): Promise<void>;
  /** Fsyncs the rows already written. */
  syncWritten?(): Promise<void>;
}

/** What a remote target journals while it submits one document (the document's own facts are added by the writer). */
export interface SubmissionJournal {
  /** Before a submit: the intent, with the idempotency key the submit is sent with. */
  intent(jobId: string, idempotencyKey: string): Promise<void>;
  /** The provider's job id, as soon as it is known. */
  submitted(jobId: string, idempotencyKey: string, providerStatus?: string): Promise<void>;
  /** Ends an intent (or a job replaced by a retry) once the job that replaces it is recorded. */
  superseded(jobId: string, supersededBy: string): Promise<void>;
}

export class ManifestWriter {
  /** Job id -> the document in progress it belongs to (every job id a document's lines were written under). */
  private readonly documents = new Map<string, DocumentJournal>();
  /**
   * Job id -> the status of the outcome line (completed or failed, with its text or error) appended for it by this
   * process, set when the append is made, before it is written: the pipeline (a polled result) and the listener (a
   * webhook) ask it so that a job gets one outcome line, whichever of them comes second.
   */
  private readonly outcomes = new Map<string, JobStatus>();

  constructor(private readonly sink: ManifestSink) {}

  /** A writer that writes nothing (a dry run). */
  static discarding(): ManifestWriter {
    return new ManifestWriter({ append: async () => {} });
  }

  /** Appends the row; resolves once it is written (not yet fsynced). */
  append(row: Row): Promise<void> {
    this.noteOutcome(row);
    return this.sink.append(row);
  }

  /** Appends the row; resolves once it is written and fsynced: what a webhook's 2xx waits for. */
  async appendDurable(row: Row): Promise<void> {
    this.noteOutcome(row);
    if (this.sink.appendDurable) return this.sink.appendDurable(row);
    await this.sink.append(row);
    await this.sink.syncWritten?.();
  }

  private noteOutcome(row: Row): void {
    if ((row.status === 'completed' || row.status === 'failed') && ('text' in row || 'error' in row || 'result' in row) && !('conflict' in row)) {
      this.outcomes.set(row.job_id, row.status);
    }
  }

  /** The status of the outcome line this process has appended for the job, if any (see `outcomes`). */
  outcomeAppended(jobId: string): JobStatus | undefined {
    return this.outcomes.get(jobId);
  }

  /** Fsyncs the rows already written: what a webhook's 2xx waits for. */
  async syncWritten(): Promise<void> {
    await this.sink.syncWritten?.();
  }

  /**
   * Starts the lines of one document being processed. `sources` is the list gathered so far; `addSource` extends it
   * while the document is in progress, and every later line of the document carries it.
   */
  openDocument(facts: JournalFacts, sources: string[], now: () => number): DocumentJournal {
    return new DocumentJournal(this, facts, sources, now);
  }

  /** The content hash and sources of a document in progress that has lines under this job id. */
  documentFor(jobId: string): { sha256: string; sources: readonly string[] } | undefined {
    return this.documents.get(jobId);
  }

  /** @internal */
  track(jobId: string, document: DocumentJournal): void {
    this.documents.set(jobId, document);
  }

  /** @internal */
  untrack(jobId: string, document: DocumentJournal): void {
    if (this.documents.get(jobId) === document) this.documents.delete(jobId);
  }
}

/** What is known of a document before its first line: its hash and kind, the target, and the run's result settings. */
export type JournalFacts = DocumentFacts & { sha256: string; target: string; settings?: Readonly<Record<string, string>> };

/** The lines of one document in progress: each carries the document's hash, type, size and every source so far. */
export class DocumentJournal implements SubmissionJournal {
  readonly sha256: string;
  readonly doc: DocumentFacts;
  private readonly jobIds = new Set<string>();

  constructor(
    private readonly writer: ManifestWriter,
    private readonly facts: JournalFacts,
    readonly sources: string[],
    private readonly now: () => number,
  ) {
    this.sha256 = facts.sha256;
    this.doc = { type: facts.type, bytes: facts.bytes };
  }

  /** Another input with this content, met while the document is in progress. */
  addSource(source: string): void {
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  /** Who a line of this document is about, now: the sources are those gathered so far. */
  line(jobId: string): ContentLine {
    return { jobId, sources: [...this.sources], sha256: this.sha256, target: this.facts.target, ts: new Date(this.now()).toISOString() };
  }

  /** Appends a line of this document (made by a builder from `line()`). */
  append(row: Row): Promise<void> {
    this.claim(row.job_id);
    return this.writer.append(row);
  }

  /** A job of this document written by an earlier run (a remote job polled again): its deliveries are this document's. */
  claim(jobId: string): void {
    if (this.jobIds.has(jobId)) return;
    this.jobIds.add(jobId);
    this.writer.track(jobId, this);
  }

  intent(jobId: string, idempotencyKey: string): Promise<void> {
    return this.append(intentRow(this.line(jobId), this.doc, idempotencyKey));
  }

  submitted(jobId: string, idempotencyKey: string, providerStatus?: string): Promise<void> {
    return this.append(submittedRow(this.line(jobId), this.doc, { idempotencyKey, providerStatus, settings: this.facts.settings }));
  }

  superseded(jobId: string, supersededBy: string): Promise<void> {
    return this.append(supersededRow(this.line(jobId), this.doc, supersededBy));
  }

  /** The document is done in this process (or waited for no longer). */
  close(): void {
    for (const jobId of this.jobIds) this.writer.untrack(jobId, this);
    this.jobIds.clear();
  }
}
