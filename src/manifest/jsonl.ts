/**
 * The manifest journal: append-only JSON Lines, the resume state of a run.
 *
 * - One process appends at a time (`<manifest>.lock`, see lock.ts).
 * - Every row is one write(2) of the whole line on an O_APPEND descriptor, and appends are serialised, so lines
 *   never interleave. A failed write is cut back to the previous size, so the file never keeps a partial line.
 * - fsync is grouped (at most every `fsyncIntervalMs`), forced by sync() and always done by close().
 * - On open, a torn last line (a run killed mid-write) is copied aside and cut; a corrupt line elsewhere stops
 *   the run with its line number unless `repair`.
 */
import { fsyncSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InternalError } from '../errors.js';
import { assertManifestWritable, manifestWriteError } from './journal-errors.js';
import { acquireLock, type ManifestLock } from './lock.js';
import { readManifest, type ManifestTail } from './read.js';
import { ResumeIndex } from './resume-index.js';
import { completeLastLine, setAsideTornTail } from './torn-tail.js';
import { syncDirectory } from './atomic.js';
import type { ManifestRow } from './types.js';

export { ManifestWriteError } from './journal-errors.js';

export const DEFAULT_FSYNC_INTERVAL_MS = 200;

export interface OpenJournalOptions {
  repair?: boolean;
  onWarning?: (message: string) => void;
  /** fsync at most this often while appending (group commit); 0 = fsync every append. Default 200 ms. */
  fsyncIntervalMs?: number;
  /** Injected for tests: replaces the fs write of a chunk (throw to simulate EIO/ENOSPC). */
  writeHook?: (chunk: Buffer) => void | Promise<void>;
}

export interface JournalOpenResult {
  journal: Journal;
  /** job_id -> what resume needs (status, sources union, last error code). */
  index: ResumeIndex;
  /** Rows read from the existing manifest. */
  lines: number;
}

/** Synchronous last-chance cleanups (fsync, lock removal) for journals never closed; one 'exit' listener for all. */
const exitCleanups = new Set<() => void>();
function runExitCleanups(): void {
  for (const cleanup of exitCleanups) cleanup();
}

export class Journal {
  private readonly path: string;
  private readonly handle: FileHandle;
  private readonly lock: ManifestLock;
  /** The flush that callers of sync() arriving now will share; null once it has started. */
  private nextFlush: Promise<void> | null = null;
  private readonly index: ResumeIndex;
  private readonly options: OpenJournalOptions;
  private readonly exitCleanup: () => void;
  private size: number;
  private count = 0;
  /** Settles when every append queued so far has settled: appends run one at a time, in call order. */
  private queue: Promise<void> = Promise.resolve();
  private syncing: Promise<void> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  /** An fsync that failed in the background: reported by the next append, sync() or close(). */
  private syncFailure: Error | undefined;
  /** Set when a failed write could not be cut back: no append may go after the partial line. */
  private cutBackTo: number | null = null;
  private closing: Promise<void> | undefined;

  private constructor(
    path: string,
    handle: FileHandle,
    lock: ManifestLock,
    index: ResumeIndex,
    size: number,
    options: OpenJournalOptions,
  ) {
    this.path = path;
    this.handle = handle;
    this.lock = lock;
    this.index = index;
    this.size = size;
    this.options = options;
    this.exitCleanup = () => {
      try {
        fsyncSync(handle.fd);
      } catch {
        // Already closed, or the disk failed: the exit goes on either way.
      }
      lock.release();
    };
    if (exitCleanups.size === 0) process.on('exit', runExitCleanups);
    exitCleanups.add(this.exitCleanup);
  }

  static async open(path: string, options: OpenJournalOptions = {}): Promise<JournalOpenResult> {
    const existed = await assertManifestWritable(path);
    const lock = await acquireLock(path, options.onWarning);
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'a', 0o644);
      if (!existed) await syncDirectory(path);
      const index = new ResumeIndex();
      let lines = 0;
      let tail: ManifestTail | undefined;
      const reading = readManifest(path, {
        repair: options.repair,
        onWarning: options.onWarning,
        onTail: (found) => (tail = found),
      });
      for await (const { row } of reading) {
        index.update(row);
        lines += 1;
      }
      if (tail?.complete) await completeLastLine(handle);
      else if (tail) {
        const copy = await setAsideTornTail(path, handle, tail);
        options.onWarning?.(
          `manifest ${path}: ignored a torn last line (${tail.bytes} bytes, kept in ${copy}); ` +
            'the job it described will be checked again',
        );
      }
      const { size } = await handle.stat();
      const journal = new Journal(path, handle, lock, index, size, options);
      return { journal, index, lines };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      lock.release();
      throw error;
    }
  }

  /** Rows appended so far in this process. */
  get appended(): number {
    return this.count;
  }

  /**
   * Appends the row as one line with a single write(2); resolves once written (not yet fsynced: see sync()).
   * Concurrent calls are serialised; the row is reflected into the index once written.
   */
  append(row: ManifestRow): Promise<void> {
    if (this.closing) {
      return Promise.reject(new InternalError(`manifest ${this.path} was appended to after close`, 'please report this'));
    }
    if (typeof row?.job_id !== 'string' || row.job_id === '' || typeof row.status !== 'string') {
      return Promise.reject(new InternalError(`refused a manifest row without job_id or status`, 'please report this'));
    }
    let line: Buffer;
    try {
      line = Buffer.from(`${JSON.stringify(row)}\n`, 'utf8');
    } catch (error) {
      return Promise.reject(
        new InternalError(`cannot serialise the manifest row of ${row.job_id}`, 'please report this', { cause: error }),
      );
    }
    const task = this.queue.then(() => this.write(line, row));
    this.queue = task.catch(() => undefined);
    return task;
  }

  /**
   * Waits for queued appends, then fsyncs: what a caller needs before acknowledging a row as durable. Callers that
   * arrive while a flush is running share the next one (group commit), so a burst of deliveries costs one fsync per
   * group rather than one each; a flush only starts after every caller's line was written, so it covers them all.
   */
  async sync(): Promise<void> {
    await this.queue;
    this.throwSyncFailure();
    this.nextFlush ??= this.syncNow(() => {
      this.nextFlush = null;
    });
    await this.nextFlush;
  }

  /** Waits for queued appends, fsyncs, closes the file and releases the lock. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    await this.queue;
    clearTimeout(this.syncTimer);
    let failure: unknown = this.syncFailure;
    await this.syncNow().catch((error: unknown) => (failure ??= error));
    await this.handle.close().catch((error: unknown) => (failure ??= manifestWriteError(this.path, error, 'close')));
    this.lock.release();
    exitCleanups.delete(this.exitCleanup);
    if (exitCleanups.size === 0) process.off('exit', runExitCleanups);
    if (failure) throw failure;
  }

  private async write(line: Buffer, row: ManifestRow): Promise<void> {
    await this.cutBack();
    this.throwSyncFailure();
    const before = this.size;
    try {
      if (this.options.writeHook) await this.options.writeHook(line);
      else {
        const { bytesWritten } = await this.handle.write(line, 0, line.length);
        if (bytesWritten !== line.length) {
          const short = new Error(`short write (${bytesWritten} of ${line.length} bytes)`) as NodeJS.ErrnoException;
          short.code = 'ENOSPC';
          throw short;
        }
      }
    } catch (error) {
      this.cutBackTo = before;
      await this.cutBack().catch(() => undefined);
      throw manifestWriteError(this.path, error, 'append to');
    }
    this.size = before + line.length;
    this.count += 1;
    this.index.update(row);
    const interval = this.options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
    if (interval <= 0) await this.syncNow();
    else this.scheduleSync(interval);
  }

  /** Removes the partial line a failed write may have left; throws while that is impossible. */
  private async cutBack(): Promise<void> {
    if (this.cutBackTo === null) return;
    try {
      const { size } = await this.handle.stat();
      if (size > this.cutBackTo) await this.handle.truncate(this.cutBackTo);
      this.size = Math.min(size, this.cutBackTo);
      this.cutBackTo = null;
    } catch (error) {
      throw manifestWriteError(this.path, error, 'remove a partial line from');
    }
  }

  private scheduleSync(interval: number): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncNow().catch((error: Error) => {
        this.syncFailure ??= error;
        this.options.onWarning?.(error.message);
      });
    }, interval);
    // close() always fsyncs, and the exit listener does too: the timer alone must not keep the process alive.
    this.syncTimer.unref();
  }

  private syncNow(onStart?: () => void): Promise<void> {
    const run = this.syncing.then(async () => {
      onStart?.();
      try {
        await this.handle.sync();
      } catch (error) {
        throw manifestWriteError(this.path, error, 'flush');
      }
    });
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private throwSyncFailure(): void {
    const failure = this.syncFailure;
    if (!failure) return;
    this.syncFailure = undefined;
    throw failure;
  }
}
