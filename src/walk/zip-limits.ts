export interface ZipLimits {
  /** Refuse the whole archive when its end-of-central-directory record announces more entries than this. */
  maxEntries: number;
  /** Per-entry cap on uncompressed bytes (the user's `--max-file-size`). */
  maxEntrySize: number;
  /** Budget of declared uncompressed bytes per top-level archive, shared with the archives nested in it. */
  maxTotalSize: number;
  /** Bound on declared uncompressed/compressed size, for entries declaring at least `RATIO_MIN_SIZE` bytes. */
  maxRatio: number;
  /** Archive nesting depth opened: 2 means a ZIP inside a ZIP is opened, a ZIP inside that is not. */
  maxDepth: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 100_000,
  maxEntrySize: 50 * 1024 ** 2,
  maxTotalSize: 2 * 1024 ** 3,
  maxRatio: 200,
  maxDepth: 2,
};

/**
 * Below this declared size the ratio bound is not applied: small entries (a blank page, a text file) legitimately
 * compress far beyond any sane bound, and the per-entry cap already limits what they can cost.
 */
export const RATIO_MIN_SIZE = 1024 ** 2;
