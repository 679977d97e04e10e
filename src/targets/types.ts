import type { DocType } from '../documents/types.js';
import type { DocumentFailure } from '../errors.js';
import type { IndexEntry, PageResult } from '../manifest/types.js';
import type { SubmissionJournal } from '../manifest/writer.js';

/** A document ready for a target: content read, hashed and sniffed. */
export interface TargetDocument {
  sha256: string;
  type: DocType;
  data: Buffer;
  /** First source, for messages and upload file names. */
  source: string;
}

/** The end of a document's processing. `jobId` is the target's id for it (the provider's, for remote targets). */
export type DocumentOutcome =
  | { ok: true; jobId: string; text: string | undefined; pages: number; result: unknown; recorded?: boolean; lowConfidencePages?: number }
  | { ok: false; jobId: string; error: DocumentFailure; pages?: number; recorded?: boolean };
// `recorded`: the webhook listener already journaled this outcome; the pipeline counts it without a second row.
// `lowConfidencePages`: pages the engine read with a mean word confidence under the run's threshold.

/** A remote job still running when waiting stopped (`--no-wait`, `--timeout`): recorded as `submitted`. */
export interface PendingOutcome {
  pending: true;
  jobId: string;
}

export interface ProcessContext {
  /** Aborted on SIGINT/SIGTERM or a fatal error: stop, throw the reason. */
  signal: AbortSignal;
  /** Aborted when `--timeout` runs out: stop waiting and return a PendingOutcome. */
  waitSignal?: AbortSignal;
  /** Called as each page finishes, for progress. */
  onPage?: (page: PageResult) => void;
  /** Called once the document's page count is known, before its pages, so that progress can tell how far it is. */
  onPageCount?: (pages: number) => void;
  /**
   * What the manifest already says about this content on this target. `resume` is true when that job was left
   * unfinished (poll it, or resend an intent with its key); false when it is being redone (--retry-failed, --force).
   */
  previous?: { jobId: string; entry: IndexEntry; resume: boolean };
  /**
   * The document's lines in the manifest, for a target that journals its submission (intent, provider job id,
   * superseded intent); each resolves once its line is written.
   */
  journal?: SubmissionJournal;
  /** The submission is recorded and the bytes are no longer needed: frees the document's place in flight. */
  onSubmitted?(): void;
}

/**
 * A place documents are sent to be OCRed. Targets share this one shape and are picked by `resolveTarget()`; a
 * failure on one document is an outcome, never a throw (throws are aborts, credential rejections, or bugs).
 */
export interface Target {
  /** Manifest `target` value: `local` or the provider name. */
  readonly name: string;
  /**
   * The target works on documents' bytes itself (the local engine): each attempt is journaled as `processing` before
   * it starts, so that a document in progress whenever the process died is given up after a bounded number of runs.
   */
  readonly recordsAttempts?: boolean;
  /**
   * The part of the run's result settings a completed outcome depends on (default: all of them). The local engine
   * leaves out what only OCR uses (lang, dpi, rotate) for a document read entirely from its text layer.
   */
  settingsFor?(outcome: { result?: unknown }, settings: Readonly<Record<string, string>>): Readonly<Record<string, string>>;
  /** The engine reading page images, as `result.engine` and the recorded settings name it (local targets). */
  readonly ocrEngineName?: string;
  /** Job id for a document when the target derives it from content (the local engine); remote ids come later. */
  jobIdFor?(sha256: string): string;
  process(doc: TargetDocument, ctx: ProcessContext): Promise<DocumentOutcome | PendingOutcome>;
  /** Page count without processing (for `--dry-run`); null when it cannot be known. */
  countPages(doc: TargetDocument): Promise<number | null>;
  close(): Promise<void>;
}
