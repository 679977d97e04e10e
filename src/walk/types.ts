import type { DocumentFailure } from '../errors.js';

/**
 * What the walker yields, in walk order. A `document` is a regular file or ZIP entry whose bytes can be read;
 * a `skipped` item is an input that was refused before its content was known (too large, unreadable,
 * unsafe ZIP entry...) and becomes a `skipped` manifest row.
 */
export type InputItem = InputDocument | InputSkipped;

export interface InputDocument {
  kind: 'document';
  /** Display and manifest name: the path as the user gave it; ZIP entries as `a.zip!/inner/b.pdf`. */
  source: string;
  /** Size in bytes as known before reading (stat size, or the entry's declared uncompressed size). */
  size: number;
  /** Reads the whole content. Files are read lazily; ZIP entries are already inflated and verified. */
  read(): Promise<Buffer>;
}

export interface InputSkipped {
  kind: 'skipped';
  source: string;
  error: DocumentFailure;
}
