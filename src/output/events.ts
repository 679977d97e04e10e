import type { DocumentFailure } from '../errors.js';
import type { JobStatus } from '../manifest/types.js';

/** What the submit core reports; reporters render these (TTY bar, plain lines, NDJSON, nothing). */
export type RunEvent =
  | { type: 'start'; manifest: string; target: string; dry_run: boolean; resumed_jobs: number }
  /** `submit --listen`: the listener is bound (before the first submit). */
  | { type: 'ready'; url: string }
  | { type: 'input'; source: string }
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
  | { type: 'page'; source: string; page: number; page_source: 'text-layer' | 'ocr' }
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
  /** Pages OCRed in this run with a mean word confidence under `--min-confidence`. */
  low_confidence_pages: number;
  pages_per_second: number;
  dry_run: boolean;
  interrupted: boolean;
  manifest: string;
  skipped_by_code: Record<string, number>;
}
