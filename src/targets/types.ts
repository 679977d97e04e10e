import type { DocType } from '../documents/types.js';
import type { DocumentFailure } from '../errors.js';
import type { PageResult } from '../manifest/types.js';

/** A document ready for a target: content read, hashed and sniffed. */
export interface TargetDocument {
  sha256: string;
  type: DocType;
  data: Buffer;
  /** First source, for messages only. */
  source: string;
}

export type DocumentOutcome =
  | { ok: true; text: string; pages: number; result: unknown }
  | { ok: false; error: DocumentFailure; pages?: number };

export interface ProcessContext {
  signal: AbortSignal;
  /** Called as each page finishes, for progress. */
  onPage?: (page: PageResult) => void;
}

/**
 * A place documents are sent to be OCRed. Targets share this one shape and are picked by
 * `resolveTarget()`; a failure on one document is an outcome, never a throw (throws are bugs or aborts).
 */
export interface Target {
  /** Manifest `target` value, e.g. `local`. */
  readonly name: string;
  /** Job id for a document on this target, when the target derives it from content (local engine). */
  jobIdFor(sha256: string): string;
  process(doc: TargetDocument, ctx: ProcessContext): Promise<DocumentOutcome>;
  /** Page count without processing (for `--dry-run`); null when it cannot be known. */
  countPages(doc: TargetDocument): Promise<number | null>;
  close(): Promise<void>;
}
