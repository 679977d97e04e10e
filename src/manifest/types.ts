import type { DocumentFailure } from '../errors.js';

/**
 * `superseded` is not a job's status but bookkeeping: the last line of a submit intent once the provider's job id is
 * known, or of a job replaced by a retry. Folded views leave such rows out.
 */
export type JobStatus = 'submitted' | 'processing' | 'completed' | 'failed' | 'skipped' | 'superseded';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'skipped', 'superseded']);

/** Per-page outcome of the local engine. */
export interface PageResult {
  page: number;
  /** `text-layer`: the PDF's own text was used; `ocr`: the page was rendered (or is an image) and OCRed. */
  source: 'text-layer' | 'ocr';
  /** Mean word confidence 0-100 from the OCR engine; null for text-layer pages. */
  confidence: number | null;
  text: string;
  /** The dpi an OCRed PDF page was rendered at, when lower than the result's `dpi` (to fit the pixel cap). */
  dpi?: number;
  /** With `--rotate`: the clockwise turn (0, 90, 180, 270) that made the page upright before it was read. */
  rotation?: 0 | 90 | 180 | 270;
  /** An OCRed page with text whose mean word confidence is below the run's threshold (`--min-confidence`). */
  low_confidence?: true;
}

/**
 * One manifest line. Lines are append-only; a later line for a `job_id` updates the earlier ones field by field, so
 * a plain object merge by job id gives the folded view: writers leave out what they do not know (never `null` over a
 * known value), and every line that names sources carries all of them. Lines are built by rows.ts only;
 * docs/manifest.md is the contract.
 */
export interface ManifestRow {
  job_id: string;
  status: JobStatus;
  /** First input path with this content. */
  source: string;
  /** Every input path with this content. */
  sources?: string[];
  /** SHA-256 of the content; null when the content was never read (e.g. a file over the size cap). */
  sha256: string | null;
  /** `local` or the provider name. */
  target: string;
  /** ISO-8601 time the line was written. */
  ts: string;
  /** Sniffed type (`pdf`, `png`...). */
  type?: string;
  bytes?: number;
  pages?: number;
  text?: string;
  /** The target's own result object (for the local engine: engine, lang and per-page results). */
  result?: unknown;
  error?: DocumentFailure;
  elapsed_ms?: number;
  /** Path of the text in `--results-dir`, when one was written. */
  text_path?: string;
  [extra: string]: unknown;
}

/** What resume needs to know about a job, kept in memory for every job in the manifest. */
export interface IndexEntry {
  status: JobStatus;
  sources: string[];
  errorCode?: string;
  /**
   * For a failed job: its error's message, shortened to ERROR_MESSAGE_CHARS (resume-index.ts), so that a failure kept
   * from an earlier run is reported with its reason.
   */
  errorMessage?: string;
  /** Idempotency key of a remote submit (intents and the jobs they became). */
  idempotencyKey?: string;
  /**
   * For a job left `processing` by the local engine: how many runs started it and never finished it (the process
   * died). Written as `unfinished_attempts` on the `processing` line each attempt starts with.
   */
  unfinishedAttempts?: number;
  /** A later job replaced this one (an intent resolved, a failure retried): hidden from folded views. */
  superseded?: boolean;
  /** The settings the job's outcome was made with (`settings` of its row), when known. */
  settings?: Readonly<Record<string, string>>;
  /** Pages of the latest outcome marked low confidence (`low_confidence_pages`), when above 0. */
  lowConfidencePages?: number;
}
