/**
 * Listed files on their way to being probed, handed back in listing order, by one of three means:
 * - inline: each file probed at once with synchronous calls on the main thread (the first files of a walk, and
 *   walks with no probe thread);
 * - probe threads: once a walk has met PROBE_THREADS_AFTER files, batches of PROBE_BATCH files go to worker threads
 *   that probe and hash them (probe-pool.ts), PROBE_THREAD_AHEAD batches ahead of the file being yielded, so that the
 *   threads read while the main thread plans and journals;
 * - slow storage: once the median probe takes over SLOW_PROBE_MS, PROBE_AHEAD asynchronous probes in flight at once,
 *   so that waiting on the storage overlaps (probe.ts).
 */
import { performance } from 'node:perf_hooks';
import { PROBE_BATCH, PROBE_BATCH_BYTES, ProbePool, defaultProbeThreads, type Listed } from './probe-pool.js';
import { PROBE_AHEAD, PROBE_WINDOW, SLOW_PROBE_MS, probeFile, probeFileSync, type Probe } from './probe.js';

/** Files probed inline before probe threads start: a walk of a few folders never pays for starting one. */
export const PROBE_THREADS_AFTER = 512;
/** Batches sent to the probe threads beyond the one whose files are being yielded. */
export const PROBE_THREAD_AHEAD = 3;
/** The first batches, before the size of the files is known. */
const MIN_BATCH = 16;

export interface ProbeQueueSettings {
  /** Probe PROBE_AHEAD at a time from the start, as on slow storage. */
  overlap?: boolean;
  /** Probe threads (0: every probe inline); defaults to defaultProbeThreads(). */
  threads?: number;
  /** Files probed inline before the threads start; defaults to PROBE_THREADS_AFTER. */
  threadsAfter?: number;
}

export class ProbeQueue {
  /** The latest probe times; once their median is over SLOW_PROBE_MS, probes overlap for the rest of the walk. */
  private readonly times = new Float64Array(PROBE_WINDOW);
  private timed = 0;
  private slow: boolean;
  /** Probes due or on their way, one entry per batch, oldest first. */
  private readonly batches: Array<Probe[] | Promise<Probe[]>> = [];
  /** Files listed for the next probe-thread batch. */
  private listed: Listed[] = [];
  /** Asynchronous probes started on slow storage, not yet in a batch. */
  private started: Array<Promise<Probe>> = [];
  private pool: ProbePool | null = null;
  private threads: number;
  private readonly threadsAfter: number;
  private inline = 0;
  private closed = false;
  /** Files in the next batch: grows to PROBE_BATCH while the files read are small (PROBE_BATCH_BYTES). */
  private batchFiles = MIN_BATCH;

  constructor(settings: ProbeQueueSettings) {
    this.slow = settings.overlap ?? false;
    this.threads = settings.threads ?? defaultProbeThreads();
    this.threadsAfter = settings.threadsAfter ?? PROBE_THREADS_AFTER;
  }

  get slowStorage(): boolean {
    return this.slow;
  }

  add(file: Listed): void {
    if (this.slow) {
      // Files sent to the threads before the storage was found slow keep their place ahead of these.
      if (this.listed.length > 0) this.seal();
      this.started.push(probeFile(file.source, file.rel, file.absPath));
      if (this.started.length >= PROBE_AHEAD) this.seal();
      return;
    }
    if (this.pool !== null || this.startThreads()) {
      this.listed.push(file);
      if (this.listed.length >= this.batchFiles) this.seal();
      return;
    }
    const started = performance.now();
    const probe = probeFileSync(file.source, file.rel, file.absPath);
    this.time(performance.now() - started);
    this.inline++;
    this.batches.push([probe]);
  }

  /** Whether the oldest batch is to be taken now; otherwise the walk lists on while the threads read. */
  get due(): boolean {
    return this.batches.length > (this.pool !== null && !this.slow ? PROBE_THREAD_AHEAD : 0);
  }

  /** The oldest batch's probes, sealing what is listed when nothing else is left; null once the queue is empty. */
  async next(): Promise<Probe[] | null> {
    if (this.batches.length === 0) this.seal();
    const batch = this.batches.shift();
    return batch === undefined ? null : batch;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    this.threads = 0;
    await pool?.close();
  }

  private startThreads(): boolean {
    if (this.threads <= 0 || this.inline < this.threadsAfter) return false;
    this.pool = new ProbePool(this.threads);
    return true;
  }

  /** Turns what is listed or started into batches, in that order (files go to the threads before any go async). */
  private seal(): void {
    if (this.listed.length > 0) {
      const files = this.listed;
      this.listed = [];
      this.batches.push(this.probeInThreads(files));
    }
    if (this.started.length > 0) {
      const started = this.started;
      this.started = [];
      this.batches.push(Promise.all(started));
    }
  }

  private async probeInThreads(files: Listed[]): Promise<Probe[]> {
    const pool = this.pool;
    if (pool !== null) {
      try {
        const { probes, ms, bytes } = await pool.probe(files);
        for (const t of ms) this.time(t);
        this.batchFiles = Math.max(MIN_BATCH, Math.min(PROBE_BATCH, Math.floor((PROBE_BATCH_BYTES * files.length) / Math.max(1, bytes))));
        return probes;
      } catch {
        // The walk is over (stopped early): nobody waits for these files.
        if (this.closed) return [];
        // A probe thread that fails is a bug, not the files' fault: the rest of the walk probes inline.
        if (this.pool === pool) {
          this.pool = null;
          this.threads = 0;
          void pool.close().catch(() => {});
        }
      }
    }
    return files.map((f) => probeFileSync(f.source, f.rel, f.absPath));
  }

  private time(ms: number): void {
    this.times[this.timed++ % PROBE_WINDOW] = ms;
    if (this.timed % PROBE_WINDOW !== 0) return;
    const sorted = this.times.slice().sort();
    if (sorted[PROBE_WINDOW / 2] > SLOW_PROBE_MS) this.slow = true;
  }
}
