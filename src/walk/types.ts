import type { Readable } from 'node:stream';
import type { Shard } from '../shard/index.js';
import type { ZipLimits } from './zip-limits.js';
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
  /** The SHA-256 (hex) of what the first read() gives, when a probe thread hashed it as it read it. */
  sha256?: string;
}

export interface InputSkipped {
  kind: 'skipped';
  source: string;
  error: DocumentFailure;
}

export interface WalkOptions {
  cwd: string;
  include: string[];
  exclude: string[];
  maxFileSize: number;
  zipLimits: ZipLimits;
  stdin?: Readable;
  onWarning?: (message: string) => void;
  /** Probe files PROBE_AHEAD at a time from the start, as on slow storage. */
  overlapProbes?: boolean;
  /** Probe threads for folders of many files (0: probe every file inline); defaults to the cores left, 1 or 2. */
  probeThreads?: number;
  /** Files probed inline before the probe threads start (probe-queue.ts, PROBE_THREADS_AFTER). */
  probeThreadsAfter?: number;
  /** `--shard K/N`: only the inputs of this shard are yielded, and only they are opened (shard-select.ts). */
  shard?: Shard;
}
