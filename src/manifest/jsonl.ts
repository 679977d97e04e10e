/**
 * The manifest journal: append-only JSON Lines, the resume state of a run.
 *
 * - One process appends at a time (`<manifest>.lock`, see lock.ts).
 * - Rows are written whole, on an O_APPEND descriptor, one write at a time, so lines never interleave. Rows appended
 *   while a group is in progress go out together in the next write(2) (group commit). A failed write is cut back to the
 *   previous size, so the file never keeps a partial line; the rows of a failed group are then written one by one,
 *   so a failure only rejects the rows whose own write fails.
 * - fsync is grouped (at most every `fsyncIntervalMs`), forced by sync() and always done by close().
 * - appendDurable() resolves only once its row is written and fsynced. A group holding such a row is fsynced as part
 *   of its own step, before the next group is written: rows appended meanwhile are written and fsynced together as
 *   soon as it ends (pipelined group commit), one write(2) and one fsync per group, never two fsyncs at once.
 * - On open, a torn last line (a run killed mid-write) is copied aside and cut; a corrupt line elsewhere stops
 *   the run with its line number unless `repair`.
 */
import { fsyncSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InternalError } from '../errors.js';
import { assertManifestWritable, manifestWriteError } from './journal-errors.js';
import { acquireLock, type ManifestLock } from './lock.js';
import { readManifestBatches, type ManifestTail } from './read.js';
import { expectedJobs, ResumeIndex } from './resume-index.js';
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

interface AppendGroup {
  /** Each row's line, newline included: encoded together for the group's one write. */
  lines: string[];
  rows: ManifestRow[];
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  /** A row of the group was appended with appendDurable(): the group is fsynced before its appends settle. */
  durable: boolean;
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
  /** Settles when every append queued so far has settled: writes run one at a time, in call order. */
  private queue: Promise<void> = Promise.resolve();
  /** Rows appended since the last write started: they go out together in the next one. */
  private group: AppendGroup | null = null;
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
      const index = new ResumeIndex(await expectedJobs(path));
      let lines = 0;
      let tail: ManifestTail | undefined;
      const reading = readManifestBatches(path, {
        repair: options.repair,
        onWarning: options.onWarning,
        onTail: (found) => (tail = found),
      });
      for await (const batch of reading) {
        for (const { row } of batch) index.update(row);
        lines += batch.length;
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
   * Appends the row as one line; resolves once written (not yet fsynced: see sync()). Rows appended while a write is
   * running share the next write(2); each row is reflected into the index once written.
   */
  append(row: ManifestRow): Promise<void> {
    return this.enqueue(row, false);
  }

  /**
   * Appends the row as one line; resolves once it is written and fsynced, so that the caller may tell someone it is
   * durable. Rows appended while a group is being written and fsynced share the next group's write and fsync.
   */
  appendDurable(row: ManifestRow): Promise<void> {
    return this.enqueue(row, true);
  }

  private enqueue(row: ManifestRow, durable: boolean): Promise<void> {
    if (this.closing) {
      return Promise.reject(new InternalError(`manifest ${this.path} was appended to after close`, 'please report this'));
    }
    if (typeof row?.job_id !== 'string' || row.job_id === '' || typeof row.status !== 'string') {
      return Promise.reject(new InternalError(`refused a manifest row without job_id or status`, 'please report this'));
    }
    let line: string;
    try {
      line = `${JSON.stringify(row)}\n`;
    } catch (error) {
      return Promise.reject(
        new InternalError(`cannot serialise the manifest row of ${row.job_id}`, 'please report this', { cause: error }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      if (this.group === null) {
        const group: AppendGroup = { lines: [], rows: [], waiters: [], durable: false };
        this.group = group;
        // Rows appended from now until this write starts join it; the write itself never rejects.
        this.queue = this.queue.then(() => {
          this.group = null;
          return this.writeGroup(group);
        });
      }
      this.group.lines.push(line);
      this.group.rows.push(row);
      this.group.waiters.push({ resolve, reject });
      if (durable) this.group.durable = true;
    });
  }

  /** Waits for queued appends, then fsyncs them (see syncWritten()). */
  async sync(): Promise<void> {
    await this.queue;
    await this.syncWritten();
  }

  /**
   * Fsyncs the rows already written (every append that has resolved): what a caller needs before acknowledging its
   * row as durable. Callers that arrive while a flush is running share the next one (group commit), so a burst of
   * deliveries costs one fsync per group rather than one each. Appends still queued are not waited for: waiting for
   * later rows' writes too would often miss the flush starting next and wait for the one after.
   */
  syncWritten(): Promise<void> {
    try {
      this.throwSyncFailure();
    } catch (error) {
      return Promise.reject(error);
    }
    // A flush not yet started when this is called starts after every write done so far, so it covers them all.
    this.nextFlush ??= this.syncNow(() => {
      this.nextFlush = null;
    });
    return this.nextFlush;
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

  /**
   * Writes the group's rows and settles their appends (for a durable group, or with `fsyncIntervalMs` 0, once they
   * are fsynced: the next group is written only after that fsync). Never rejects: the queue of later groups goes on
   * whatever happens to this one.
   */
  private async writeGroup({ lines, rows, waiters, durable }: AppendGroup): Promise<void> {
    let failures: unknown[];
    try {
      failures = await this.writeLines(lines, rows);
      if (failures.includes(undefined)) {
        const interval = this.options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
        if (interval > 0 && !durable) this.scheduleSync(interval);
        else {
          const syncError = await this.syncNow().then(() => undefined, (error: unknown) => error);
          if (syncError !== undefined) failures = failures.map((failure) => failure ?? syncError);
        }
      }
    } catch (error) {
      // A bug, not a disk error: no append of the group may be taken as written.
      failures = lines.map(() => error);
    }
    // Settled on the next tick: the next group's write and fsync are started by promise reactions, which run first,
    // so that its fsync runs while this group's callers go on (answering their senders, for webhook rows).
    const settled = failures;
    process.nextTick(() => waiters.forEach((waiter, i) => (settled[i] === undefined ? waiter.resolve() : waiter.reject(settled[i]))));
  }

  /**
   * One write(2) for all the lines; if it fails, each line alone, so that a failure only rejects the rows whose own
   * write fails. Returns each row's error, undefined for a row written. A background fsync failure fails them all.
   */
  private async writeLines(lines: string[], rows: ManifestRow[]): Promise<unknown[]> {
    const syncFailure = this.syncFailure;
    if (syncFailure) {
      this.syncFailure = undefined;
      return lines.map(() => syncFailure);
    }
    // Cut back on failure: the file then ends with the last whole line written before this group.
    if (lines.length > 1 && (await this.write(Buffer.from(lines.join(''), 'utf8')).then(() => true, () => false))) {
      this.reflect(rows);
      return lines.map(() => undefined);
    }
    const failures: unknown[] = [];
    for (let i = 0; i < lines.length; i += 1) {
      const failure = await this.write(Buffer.from(lines[i], 'utf8')).then(() => undefined, (error: unknown) => error);
      if (failure === undefined) this.reflect([rows[i]]);
      failures.push(failure);
    }
    return failures;
  }

  /** Writes `chunk` (whole lines) with one write(2); on failure cuts the file back and throws. */
  private async write(chunk: Buffer): Promise<void> {
    await this.cutBack();
    const before = this.size;
    try {
      if (this.options.writeHook) await this.options.writeHook(chunk);
      else {
        // Synchronous: a write(2) to a file returns once the bytes are in the page cache, as node's own writes of
        // process.stdout to a file do; the wait is the fsync, which stays in the thread pool. Handing the write to
        // the pool too cost the main thread more than the call itself, and a turn of the event loop per group.
        const bytesWritten = writeSync(this.handle.fd, chunk, 0, chunk.length);
        if (bytesWritten !== chunk.length) {
          const short = new Error(`short write (${bytesWritten} of ${chunk.length} bytes)`) as NodeJS.ErrnoException;
          short.code = 'ENOSPC';
          throw short;
        }
      }
    } catch (error) {
      this.cutBackTo = before;
      await this.cutBack().catch(() => undefined);
      throw manifestWriteError(this.path, error, 'append to');
    }
    this.size = before + chunk.length;
  }

  /** Counts rows written and reflects them into the index. */
  private reflect(rows: ManifestRow[]): void {
    this.count += rows.length;
    for (const row of rows) this.index.update(row);
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
