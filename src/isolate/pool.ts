/**
 * Document workers: child processes (child.ts) that do all work on a document's bytes, so that nothing a document
 * contains can block, exhaust or crash the run. Budgets are enforced from here, outside the worker:
 * - time: each task (opening a PDF, one page, one image) has a wall-clock budget; past it the worker is killed;
 * - memory: each worker runs with a V8 heap cap, and its resident memory is sampled, with that of the processes it
 *   started (the system's tesseract, with `--engine native`); past the budget it is killed.
 * A killed or crashed worker is replaced and its task fails with LIMIT_EXCEEDED (reason `time` or `memory`), or, after
 * a second crash that no budget explains, ENGINE_CRASHED. Tasks wait in one FIFO queue, so a long PDF's pages spread
 * over every worker while other documents' pages interleave.
 *
 * Processes rather than worker threads: a native crash (the canvas library, a decoder) ends only the worker, and a
 * process's resident memory can be read from outside it. What a worker starts itself (the system's tesseract, with
 * `--engine native`) is found through /proc and stopped with it, so that nothing it started outlives it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { distScript } from '../dist-path.js';
import { DocumentError, ErrorCodes, UsageError } from '../errors.js';
import type { LangData } from './ocr/lang-data.js';
import type { NativeTesseract } from './ocr/native-binary.js';
import { CLOSE_GRACE_MS, makeScratchDir, removeScratchDir } from './ocr/native.js';
import type { Budgets } from './budgets.js';
import type { ChildMessage, ParentMessage, Task, TaskReplies } from './protocol.js';

/** A worker whose resident memory stays above this share of the budget after a task is replaced before the next. */
const RECYCLE_SHARE = 0.6;
const MEMORY_POLL_MS = 100;
/** Tries at starting a replacement worker before its slot is left empty. */
const RESPAWN_ATTEMPTS = 3;
/** Longest a new worker may take to load the OCR engine and its language data. */
const START_TIMEOUT_MS = 120_000;
/** What V8 and the allocator print when a process runs out of memory. */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed|Out of memory|Cannot allocate memory|std::bad_alloc/iu;
const STDERR_TAIL = 4096;

/** The worker's entry point, always the built copy (dist-path.ts). */
export const CHILD_SCRIPT = distScript('isolate/child.js');

export interface IsolatedPoolOptions {
  workers: number;
  /** Language data for OCR; null for workers that only open PDFs (page counts). */
  lang: LangData | null;
  /** Detect each OCRed page's orientation and turn it upright first (an OSD worker beside the OCR one). */
  rotate?: boolean;
  /** Tesseract parameters for every page the workers OCR (the page segmentation mode, say). */
  parameters?: Record<string, string>;
  /** Read pages with the system's tesseract (one process per worker) instead of tesseract.js; `lang` is then null. */
  native?: NativeTesseract;
  budgets: Budgets;
  /** Library diagnostics and worker stderr; dropped when absent. Never written to stdout. */
  onDiagnostic?: (text: string) => void;
}

/** A document as the workers see it: bytes sent once per worker, then named by `key`. */
export interface PoolDocument {
  key: string;
  source: string;
  data: Uint8Array;
}

export interface PoolStats {
  tasks: number;
  /** Workers replaced after a budget, a crash, or a recycle. */
  restarts: number;
  /** Most tasks running at once. */
  peakBusy: number;
  /** Largest resident memory seen in one worker, in bytes (0 where it cannot be read). */
  peakWorkerRss: number;
  killed: { time: number; memory: number; crash: number };
}

interface Job {
  id: number;
  doc: PoolDocument;
  task: Task;
  label: string;
  signal?: AbortSignal;
  crashes: number;
  resolve(reply: { value: unknown; worker: number }): void;
  reject(err: unknown): void;
}

interface Slot {
  index: number;
  child: ChildProcess | null;
  ready: boolean;
  job: Job | null;
  docs: Set<string>;
  timer?: NodeJS.Timeout;
  killedFor?: 'time' | 'memory' | 'recycle' | 'abandoned' | 'close';
  stderrTail: string;
  /** The processes the current worker started, as last seen (see killWorker). */
  descendants: Descendant[];
}

/** A process a worker started, with its start time, so that a pid used again by another process is never signalled. */
interface Descendant {
  pid: number;
  start: string;
}

let nextJobId = 1;

export class IsolatedPool {
  readonly stats: PoolStats = { tasks: 0, restarts: 0, peakBusy: 0, peakWorkerRss: 0, killed: { time: 0, memory: 0, crash: 0 } };
  private readonly queue: Job[] = [];
  private readonly slots: Slot[];
  private closed = false;
  private starting = 0;
  private poll: NodeJS.Timeout | undefined;

  private constructor(private readonly options: IsolatedPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, Math.floor(options.workers)) }, (_, index) => ({
      index,
      child: null,
      ready: false,
      job: null,
      docs: new Set<string>(),
      stderrTail: '',
      descendants: [],
    }));
  }

  /** Starts every worker; a worker that cannot load the OCR engine is a UsageError before any document is read. */
  static async start(options: IsolatedPoolOptions): Promise<IsolatedPool> {
    const pool = new IsolatedPool(options);
    const started = await Promise.allSettled(pool.slots.map((slot) => pool.spawn(slot)));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await pool.close();
      const what = options.native
        ? `tesseract ${options.native.version} (${options.native.binary}) with language '${options.native.langs.join('+')}'`
        : options.lang
          ? `the OCR engine with language '${options.lang.langs.join('+')}' from ${options.lang.langPath}`
          : 'the document workers';
      throw new UsageError(`cannot start ${what}: ${String((failure.reason as Error)?.message ?? failure.reason)}`);
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Process ids of the running workers (diagnostics, and tests that kill one). */
  get workerPids(): number[] {
    return this.slots.flatMap((s) => (s.child?.pid === undefined ? [] : [s.child.pid]));
  }

  /**
   * Runs one task on the next free worker. Resolves with the worker's answer; rejects with a DocumentError (the
   * document's failure, or a budget) or, when `signal` aborts first, with its reason.
   */
  run<K extends Task['kind']>(
    doc: PoolDocument,
    task: Extract<Task, { kind: K }>,
    options: { label: string; signal?: AbortSignal },
  ): Promise<{ value: TaskReplies[K]; worker: number }> {
    if (this.closed) return Promise.reject(new Error('the document workers are closed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        const at = this.queue.indexOf(job);
        if (at >= 0) this.queue.splice(at, 1);
        finish(() => reject(signal!.reason));
        // A worker busy with a task nobody waits for (its document failed or the run stops) is freed at once.
        const running = this.slots.find((s) => s.job === job);
        if (running && !this.closed) this.kill(running, 'abandoned');
      };
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const job: Job = {
        id: nextJobId++,
        doc,
        task,
        label: options.label,
        signal,
        crashes: 0,
        resolve: (reply) => finish(() => resolve(reply as { value: TaskReplies[K]; worker: number })),
        reject: (err) => finish(() => reject(err)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** The document is done: workers holding it may let it go. */
  release(key: string): void {
    for (const slot of this.slots) {
      if (!slot.docs.delete(key) || !slot.child?.connected) continue;
      this.send(slot, { type: 'release', doc: key });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    const error = new Error('the document workers were closed');
    for (const job of this.queue.splice(0)) job.reject(error);
    await Promise.all(
      this.slots.map((slot) => {
        slot.job?.reject(error);
        slot.job = null;
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
        slot.killedFor = 'close';
        return new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          if (!this.options.native || !child.connected) {
            killWorker(child, slot.descendants);
            return;
          }
          // A native worker ends its tesseract and waits for it (native.ts close()), so that no process of the run is
          // left for init to reap; one that takes too long is killed with it.
          const timer = setTimeout(() => killWorker(child, slot.descendants), 2 * CLOSE_GRACE_MS);
          child.once('exit', () => clearTimeout(timer));
          this.send(slot, { type: 'close' });
        });
      }),
    );
  }

  private spawn(slot: Slot): Promise<void> {
    this.starting++;
    slot.killedFor = undefined;
    slot.stderrTail = '';
    slot.descendants = [];
    // A native worker's folder for page images: made before it starts, removed when it ends.
    let scratch: string | undefined;
    try {
      scratch = this.options.native ? makeScratchDir() : undefined;
    } catch (err) {
      this.starting--;
      return Promise.reject(err as Error);
    }
    const heapMb = Math.max(64, Math.floor(this.options.budgets.workerMemory / (1024 * 1024)));
    const child = fork(CHILD_SCRIPT, [], {
      execArgv: [`--max-old-space-size=${heapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    slot.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        slot.stderrTail = (slot.stderrTail + text).slice(-STDERR_TAIL);
        this.options.onDiagnostic?.(text);
      });
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let started = false;
      const timer = setTimeout(() => {
        fail(new Error(`a document worker did not start within ${START_TIMEOUT_MS / 1000} s`));
        killWorker(child, slot.descendants);
      }, START_TIMEOUT_MS);
      timer.unref();
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.starting--;
        reject(err);
      };
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready' && !settled) {
          settled = true;
          started = true;
          clearTimeout(timer);
          this.starting--;
          slot.ready = true;
          // A native worker has started its tesseract by now.
          slot.descendants = processTree(child.pid).descendants;
          resolve();
          this.pump();
        } else if (message.type === 'init-failed') {
          fail(new Error(message.message));
          killWorker(child, slot.descendants);
        } else if (message.type === 'result') {
          this.onResult(slot, message);
        }
      });
      child.on('error', (err) => {
        fail(err);
        this.options.onDiagnostic?.(`document worker ${slot.index}: ${err.message}\n`);
      });
      child.on('exit', (code, signal) => {
        if (slot.child === child) {
          // What the worker started and left behind (it crashed, say) goes with it.
          killWorker(child, slot.descendants);
          slot.descendants = [];
        }
        if (scratch) removeScratchDir(scratch);
        if (slot.child !== child) return;
        if (!started) {
          // Never started: the caller of spawn() hears of it (no restart loop on a worker that cannot start).
          slot.child = null;
          slot.ready = false;
          fail(new Error(`the document worker exited (${describeExit(code, signal)}): ${lastLine(slot.stderrTail)}`));
          return;
        }
        this.onExit(slot, code, signal);
      });
      this.send(slot, { type: 'init', lang: this.options.native ? null : this.options.lang, rotate: Boolean(this.options.rotate), native: this.options.native, scratch, parameters: this.options.parameters });
    });
  }

  private send(slot: Slot, message: ParentMessage): void {
    try {
      slot.child?.send(message);
    } catch (err) {
      // The worker is gone; its exit handler fails or requeues what it held.
      this.options.onDiagnostic?.(`document worker ${slot.index}: ${(err as Error).message}\n`);
    }
  }

  private pump(): void {
    if (this.closed) return;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i];
      if (job.signal?.aborted) {
        this.queue.splice(i, 1);
        job.reject(job.signal.reason);
      }
    }
    while (this.queue.length > 0) {
      const idle = this.slots.filter((s) => s.ready && !s.job);
      if (idle.length === 0) break;
      const job = this.queue.shift()!;
      // A worker that already holds the document saves sending its bytes again.
      const slot = idle.find((s) => s.docs.has(job.doc.key)) ?? idle[0];
      this.dispatch(slot, job);
    }
    if (this.queue.length > 0 && this.slots.every((s) => !s.child) && this.starting === 0) {
      // Every worker died and none could be started again: fail the waiting tasks rather than hang.
      const error = new DocumentError(ErrorCodes.OCR_FAILED, 'no document worker is running', 'engine');
      for (const job of this.queue.splice(0)) job.reject(error);
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    // What the worker printed for earlier tasks must not explain this task's end.
    slot.stderrTail = '';
    this.stats.tasks++;
    this.stats.peakBusy = Math.max(this.stats.peakBusy, this.slots.filter((s) => s.job).length);
    const data = slot.docs.has(job.doc.key) ? undefined : job.doc.data;
    slot.docs.add(job.doc.key);
    slot.timer = setTimeout(() => this.kill(slot, 'time'), this.options.budgets.pageSeconds * 1000);
    this.poll ??= setInterval(() => this.checkMemory(), MEMORY_POLL_MS);
    this.send(slot, { type: 'task', id: job.id, doc: job.doc.key, source: job.doc.source, data, task: job.task });
  }

  private onResult(slot: Slot, message: Extract<ChildMessage, { type: 'result' }>): void {
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    clearTimeout(slot.timer);
    slot.job = null;
    if (message.ok) job.resolve({ value: message.value, worker: slot.index });
    else job.reject(DocumentError.fromFailure(message.failure));
    // Memory a worker keeps after a big page (the OCR engine's heap never shrinks) must not count against the next one.
    const tree = processTree(slot.child?.pid);
    if (tree.rss !== null) slot.descendants = tree.descendants;
    if (tree.rss !== null && tree.rss > this.options.budgets.workerMemory * RECYCLE_SHARE) this.kill(slot, 'recycle');
    this.idleCheck();
    this.pump();
  }

  private kill(slot: Slot, reason: NonNullable<Slot['killedFor']>): void {
    if (!slot.child || slot.killedFor) return;
    slot.killedFor = reason;
    slot.ready = false;
    killWorker(slot.child, slot.descendants);
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(slot.timer);
    const reason = slot.killedFor;
    slot.child = null;
    slot.ready = false;
    slot.docs.clear();
    const job = slot.job;
    slot.job = null;
    // A task nobody waits for any more (its worker was stopped for that reason) is not run again.
    if (job && reason !== 'abandoned' && !job.signal?.aborted) this.failJob(job, reason, describeExit(code, signal), slot.stderrTail);
    this.idleCheck();
    if (this.closed || reason === 'close') return;
    this.stats.restarts++;
    this.options.onDiagnostic?.(`restarting document worker ${slot.index} (${reason ?? describeExit(code, signal)})\n`);
    this.respawn(slot, 1);
    this.pump();
  }

  /** Starts a replacement worker, trying a few times; a slot that cannot get one stays empty. */
  private respawn(slot: Slot, attempt: number): void {
    this.spawn(slot).catch((err: Error) => {
      this.options.onDiagnostic?.(`document worker ${slot.index} could not be started (attempt ${attempt}): ${err.message}\n`);
      if (!this.closed && attempt < RESPAWN_ATTEMPTS) this.respawn(slot, attempt + 1);
      else this.pump();
    });
  }

  private failJob(job: Job, reason: Slot['killedFor'], exit: string, stderr: string): void {
    const { budgets } = this.options;
    if (reason === 'time') {
      this.stats.killed.time++;
      job.reject(limit(`${job.label}: took longer than the ${budgets.pageSeconds} s budget per page, so its worker was stopped (raise it with --max-page-seconds)`, 'time'));
    } else if (reason === 'memory' || OUT_OF_MEMORY.test(stderr)) {
      this.stats.killed.memory++;
      const mib = Math.round(budgets.workerMemory / (1024 * 1024));
      job.reject(limit(`${job.label}: needed more than the ${mib} MiB memory budget per worker, so its worker was stopped (raise it with --max-worker-memory)`, 'memory'));
    } else if (job.crashes === 0) {
      // Once may be the machine (another process's memory pressure); twice on the same task is the document.
      job.crashes++;
      this.queue.unshift(job);
    } else {
      this.stats.killed.crash++;
      job.reject(new DocumentError(ErrorCodes.ENGINE_CRASHED, `${job.label}: the document worker crashed twice (${exit}): ${lastLine(stderr)}`, 'engine'));
    }
  }

  private checkMemory(): void {
    for (const slot of this.slots) {
      if (!slot.child || slot.killedFor) continue;
      const { rss, descendants } = processTree(slot.child.pid);
      if (rss === null) continue;
      slot.descendants = descendants;
      this.stats.peakWorkerRss = Math.max(this.stats.peakWorkerRss, rss);
      if (slot.job && rss > this.options.budgets.workerMemory) this.kill(slot, 'memory');
    }
  }

  private idleCheck(): void {
    if (this.slots.some((s) => s.job) || this.queue.length > 0) return;
    clearInterval(this.poll);
    this.poll = undefined;
  }
}

const limit = (message: string, reason: 'time' | 'memory'): DocumentError => new DocumentError(ErrorCodes.LIMIT_EXCEEDED, message, 'limit', reason);

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]?.trim() || 'no message';
}

/**
 * SIGKILL to a worker and to the processes it started: those found now and those seen before (`known`), which a worker
 * that already died has left to others. A process is signalled only if it is still the one seen (same start time).
 */
function killWorker(child: ChildProcess, known: readonly Descendant[]): void {
  const found = child.exitCode === null && child.signalCode === null ? processTree(child.pid).descendants : [];
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const { pid, start } of [...found, ...known]) {
    if (startTime(pid) !== start) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
  }
}

/** Resident memory of a process and of every process it started; the total is null when the process cannot be read. */
export function treeResidentBytes(pid: number | undefined): number | null {
  return processTree(pid).rss;
}

/**
 * A process's descendants from /proc (Linux) and the resident memory of the whole tree: a worker's memory includes
 * the tesseract it runs. Elsewhere, or where the kernel does not list children, the process alone.
 */
function processTree(pid: number | undefined): { rss: number | null; descendants: Descendant[] } {
  const own = residentBytes(pid);
  if (own === null || pid === undefined) return { rss: own, descendants: [] };
  let rss = own;
  const descendants: Descendant[] = [];
  const seen = new Set<number>([pid]);
  const stack = childrenOf(pid);
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const start = startTime(next);
    if (start === null) continue;
    descendants.push({ pid: next, start });
    rss += residentBytes(next) ?? 0;
    stack.push(...childrenOf(next));
  }
  return { rss, descendants };
}

/** Child processes of `pid`, started by any of its threads. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const tid of threads) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim().split(/\s+/u)) if (child) children.push(Number(child));
    } catch {
      // The thread ended, or the kernel does not list children.
    }
  }
  return children;
}

/** When a process started (field 22 of /proc/PID/stat, in clock ticks since boot); null when it is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Resident memory of a process from /proc (Linux); null where it cannot be read, leaving the heap cap alone. */
export function residentBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /^VmRSS:\s+(\d+)\s+kB/mu.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
