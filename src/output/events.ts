import type { DocumentFailure } from '../errors.js';
import type { JobStatus } from '../manifest/types.js';
import type { ErrorInfo } from './error-info.js';

/** What the submit core reports; reporters render these (TTY bar, plain lines, NDJSON, nothing). */
export type RunEvent =
  /** `shard` (`K/N`) only under --shard. */
  | { type: 'start'; manifest: string; target: string; dry_run: boolean; resumed_jobs: number; shard?: string }
  /** `submit --listen`: the listener is bound (before the first submit). */
  | { type: 'ready'; url: string }
  /** The pipeline took the next input from the walk. */
  | { type: 'input'; source: string }
  /** Inputs found so far by counting ahead of the walk (see walk/count.ts); reporters only, not in --json. */
  | { type: 'found'; files: number }
  /**
   * The count of inputs is final: counting ahead got to the end (`files` is its count), or the walk itself did
   * (`files` is exact). Usually long before the last document is processed.
   */
  | { type: 'walk_done'; files: number }
  | {
      type: 'document';
      job_id: string;
      status: JobStatus;
      source: string;
      /** `processed` now, `kept` from an earlier run, `duplicate` of content seen in this run, `planned` in a dry run. */
      outcome: 'processed' | 'kept' | 'duplicate' | 'planned';
      pages?: number;
      error?: DocumentFailure;
      elapsed_ms?: number;
    }
  /** An input whose content was already met in this run: done without a document event of its own. Not in --json. */
  | { type: 'duplicate'; source: string }
  /** A page read; `pages_in_document` once the engine knows the document's page count. Not in --json. */
  | { type: 'page'; source: string; page: number; page_source: 'text-layer' | 'ocr'; pages_in_document?: number }
  | { type: 'warning'; message: string }
  | { type: 'summary'; summary: RunSummary };

/** What a run counted; the pipeline fills these, the summary reports them. */
export interface DocumentCounts {
  /** Inputs (files and ZIP entries). */
  files: number;
  completed: number;
  failed: number;
  skipped: number;
  /** Inputs whose content was already seen in this run (extra copies; each job lists all its sources). */
  duplicates: number;
  pending: number;
  pages: number;
  /** Jobs processed in this run. */
  processed: number;
  failures: Array<{ source: string; job_id: string; code: string; message: string }>;
}

export interface RunSummary extends DocumentCounts {
  documents: number;
  elapsed_ms: number;
  exit_code: number;
  /** Jobs already finished in the manifest and not processed again. */
  already_done: number;
  /** Completed documents processed again (or, in a dry run, that would be) because their settings differ, by change. */
  redone_for_settings: Array<{ change: string; documents: number }>;
  /** Pages OCRed in this run with a mean word confidence under `--min-confidence`. */
  low_confidence_pages: number;
  pages_per_second: number;
  dry_run: boolean;
  interrupted: boolean;
  manifest: string;
  skipped_by_code: Record<string, number>;
  /** Dry runs: bytes of the inputs read. */
  bytes?: number;
  /** `K/N` under --shard. */
  shard?: string;
}

/**
 * What `ocrq listen` reports; reporters render these (NDJSON on stdout, plain lines on stderr, or errors only). With
 * --json each is one line, as it is here, except the summary (flattened, like submit's).
 */
export type ListenEvent =
  /** The socket is bound: always the first NDJSON line. */
  | { type: 'ready'; url: string }
  | {
      type: 'delivery';
      provider: string;
      job_id: string;
      event_id: string | null;
      status: JobStatus;
      /** What the delivery did to the manifest (see delivery-store.ts). */
      outcome: 'stored' | 'duplicate' | 'unmatched' | 'conflict';
      /** A failed job's error, as journaled (and as submit's document events carry it). */
      error?: DocumentFailure;
    }
  | { type: 'provider_event'; provider: string; event: string; event_id: string | null; low_credit: boolean; data: unknown }
  | { type: 'rejected'; status: number; provider: string | null; reason: string }
  | { type: 'forward'; url: string; status: number }
  | { type: 'forward'; url: string; error: string }
  | { type: 'warning'; message: string }
  /** A delivery that could not be stored (answered 500; the sender retries), with the same `error` as submit's. */
  | { type: 'error'; error: ErrorInfo; provider: string; job_id: string }
  | { type: 'summary'; summary: ListenSummary };

/** How `ocrq listen` ended, with the receiver's counters. */
export interface ListenSummary {
  /** The listener's URL. */
  url: string;
  /** POST requests received, including rejected ones. */
  deliveries: number;
  stored: number;
  duplicates: number;
  conflicts: number;
  unmatched: number;
  events: number;
  rejected: number;
  /** Answered 5xx because the manifest could not be written. */
  failed: number;
  /** Jobs of the --until-done manifest still waiting for a result; null without --until-done. */
  pending: number | null;
  interrupted: boolean;
  timed_out: boolean;
  exit_code: number;
  /** The manifest deliveries were stored in, as given with --out. */
  manifest: string;
}
