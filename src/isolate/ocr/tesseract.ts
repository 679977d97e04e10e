/**
 * A pool of tesseract.js workers shared by every document in flight. Pages wait in one FIFO queue, so a long
 * PDF spreads over all workers. Backpressure: a page's image is produced (rendered) only when a worker is
 * about to be free, so at most `workers + 1` images are alive at any time, however long the queue.
 */
import type Tesseract from 'tesseract.js';
import { UsageError } from '../../errors.js';
import type { LangData } from './lang-data.js';
import { startWorker, threadOf } from './worker.js';

/** Images produced ahead of a free worker, so a worker does not sit idle while the next page renders. */
export const PREFETCH_IMAGES = 1;

export interface TesseractPoolOptions extends LangData {
  workers: number;
  /** Library diagnostics (leptonica/tesseract messages); dropped when absent. Never written to stdout. */
  onDiagnostic?: (text: string) => void;
}

export interface OcrTask {
  /** Produces the image (any format tesseract reads); called only when a worker is about to be free. */
  prepare(): Promise<Buffer>;
  /** Tesseract parameters for this image only, e.g. `user_defined_dpi`. */
  parameters?: Record<string, string>;
  /** Turn the image by this angle (clockwise) before reading it; the image keeps its width and height. */
  rotateRadians?: number;
  /**
   * Straighten a skewed image before reading it: Tesseract measures the slope of its text lines and turns the image
   * by it (tesseract.js's `rotateAuto`, which `rotateRadians` cannot be combined with).
   */
  deskew?: boolean;
  /** `grey`: recognize nothing, hand back the image as the engine decoded it (an 8-bit grayscale PNG). */
  output?: 'text' | 'grey';
  signal?: AbortSignal;
}

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0-100. */
  confidence: number;
  /** Index of the worker that recognized the image. */
  worker: number;
  /** With `output: 'grey'`: the decoded image as a PNG. */
  grey?: Buffer;
}

/** The engine could not recognize an image; `unreadable` when the image itself could not be decoded. */
export class RecognizeError extends Error {
  constructor(
    message: string,
    readonly unreadable: boolean,
  ) {
    super(message);
    this.name = 'RecognizeError';
  }
}

export interface PoolStats {
  /** Images handed to tesseract. */
  recognized: number;
  /** Images recognized per worker. */
  byWorker: number[];
  /** Most images alive at once (being produced, waiting, or being recognized). */
  peakImages: number;
  /** Workers replaced after a crash or an engine error. */
  restarts: number;
}

interface Job {
  task: OcrTask;
  resolve(result: OcrResult): void;
  reject(err: unknown): void;
  image?: Buffer;
}

interface Slot {
  index: number;
  worker: Tesseract.Worker | null;
  job: Job | null;
}

// Tesseract's message for images leptonica cannot decode (tesseract.js worker-script/utils/setImage.js).
const UNREADABLE_IMAGE = /Error attempting to read image/u;

export class TesseractPool {
  readonly stats: PoolStats;
  private readonly queue: Job[] = [];
  private readonly ready: Job[] = [];
  private preparing = 0;
  private restarting = 0;
  private closed = false;
  private pumping = false;
  private pumpAgain = false;

  private constructor(
    private readonly options: TesseractPoolOptions,
    private readonly slots: Slot[],
  ) {
    this.stats = { recognized: 0, byWorker: slots.map(() => 0), peakImages: 0, restarts: 0 };
  }

  /** Starts every worker in parallel; throws a UsageError when the language data cannot be loaded. */
  static async start(options: TesseractPoolOptions): Promise<TesseractPool> {
    const count = Math.max(1, Math.floor(options.workers));
    const started = await Promise.allSettled(Array.from({ length: count }, () => startWorker(options)));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s) => s.status === 'rejected');
    if (failure) {
      await Promise.all(workers.map((w) => w.terminate().catch(() => {})));
      const reason = (failure as PromiseRejectedResult).reason;
      throw new UsageError(
        `cannot start the OCR engine with language '${options.langs.join('+')}' from ${options.langPath}: ${String(reason)}`,
      );
    }
    const pool = new TesseractPool(
      options,
      workers.map((worker, index) => ({ index, worker, job: null })),
    );
    for (const slot of pool.slots) pool.watch(slot);
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Queues an image for recognition; rejects with the task's abort reason if its signal aborts first. */
  recognize(task: OcrTask): Promise<OcrResult> {
    if (this.closed) return Promise.reject(new Error('the OCR engine is closed'));
    if (task.signal?.aborted) return Promise.reject(task.signal.reason);
    return new Promise<OcrResult>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => finish(() => reject(task.signal!.reason));
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        task.signal?.removeEventListener('abort', onAbort);
        settle();
        this.pump();
      };
      task.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push({
        task,
        resolve: (r) => finish(() => resolve(r)),
        reject: (e) => finish(() => reject(e)),
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const error = new Error('the OCR engine was closed');
    for (const job of [...this.queue.splice(0), ...this.ready.splice(0)]) job.reject(error);
    const workers = this.slots.map((s) => s.worker);
    for (const slot of this.slots) {
      slot.job?.reject(error);
      slot.job = null;
      slot.worker = null;
    }
    await Promise.all(workers.map((w) => w?.terminate().catch(() => {})));
  }

  private pump(): void {
    // Settling a job pumps again; run those nested calls after this one instead of inside its loops.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.dispatch();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const list of [this.queue, this.ready]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const job = list[i];
        if (job.task.signal?.aborted) {
          list.splice(i, 1);
          job.reject(job.task.signal.reason);
        }
      }
    }
    const idle = this.slots.filter((s) => s.worker && !s.job);
    while (this.ready.length > 0 && idle.length > 0) this.run(idle.shift()!, this.ready.shift()!);
    while (this.queue.length > 0 && this.preparing + this.ready.length < idle.length + PREFETCH_IMAGES) {
      this.prepare(this.queue.shift()!);
    }
    if (this.slots.every((s) => !s.worker) && !this.restarting) {
      // Every worker died and none could be restarted: fail the waiting pages rather than hang.
      const error = new RecognizeError('no OCR worker is running', false);
      for (const job of [...this.queue.splice(0), ...this.ready.splice(0)]) job.reject(error);
    }
  }

  private prepare(job: Job): void {
    this.preparing++;
    this.notePeak();
    job.task
      .prepare()
      .then(
        (image) => {
          if (this.closed) job.reject(new Error('the OCR engine was closed'));
          else if (job.task.signal?.aborted) job.reject(job.task.signal.reason);
          else this.ready.push(Object.assign(job, { image }));
        },
        (err) => job.reject(err),
      )
      .finally(() => {
        this.preparing--;
        this.pump();
      });
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    const image = job.image!;
    job.image = undefined;
    this.stats.recognized++;
    this.stats.byWorker[slot.index]++;
    const { parameters, rotateRadians, deskew, output } = job.task;
    const options = { ...parameters, ...(rotateRadians ? { rotateRadians } : {}), ...(deskew ? { rotateAuto: true } : {}) };
    slot
      .worker!.recognize(image, options, output === 'grey' ? { text: false, imageGrey: true } : { text: true })
      .then(
        ({ data }) => {
          if (slot.job !== job) return;
          slot.job = null;
          const grey = typeof data.imageGrey === 'string' ? Buffer.from(data.imageGrey.slice(data.imageGrey.indexOf(',') + 1), 'base64') : undefined;
          job.resolve({ text: data.text ?? '', confidence: data.confidence, worker: slot.index, grey });
          // The job may have settled already (aborted): the freed worker still needs new work.
          this.pump();
        },
        (err) => {
          if (slot.job !== job) return;
          slot.job = null;
          const message = String((err as Error | null)?.message ?? err);
          const unreadable = UNREADABLE_IMAGE.test(message);
          // After any other engine error the worker's state is suspect: replace it.
          if (!unreadable) this.restart(slot, message);
          job.reject(new RecognizeError(message, unreadable));
          this.pump();
        },
      );
  }

  /** Routes the worker thread's output away from stdout and replaces the worker if its thread dies. */
  private watch(slot: Slot): void {
    const thread = threadOf(slot.worker!);
    const fail = (reason: string): void => {
      if (this.closed || !slot.worker || threadOf(slot.worker) !== thread) return;
      const job = slot.job;
      slot.job = null;
      this.restart(slot, reason);
      job?.reject(new RecognizeError(`OCR worker stopped: ${reason}`, false));
    };
    thread.on('error', (err: Error) => fail(err.message));
    thread.on('exit', (code: number) => fail(`exit code ${code}`));
    for (const stream of [thread.stdout, thread.stderr]) {
      stream.unpipe();
      stream.on('data', (chunk: Buffer) => this.options.onDiagnostic?.(chunk.toString()));
      stream.resume(); // unpipe() paused it; an unread stream would buffer forever
    }
  }

  private restart(slot: Slot, reason: string): void {
    const old = slot.worker;
    slot.worker = null;
    this.stats.restarts++;
    this.options.onDiagnostic?.(`restarting OCR worker ${slot.index}: ${reason}\n`);
    void old?.terminate().catch(() => {});
    this.restarting++;
    startWorker(this.options)
      .finally(() => this.restarting--)
      .then(
        (worker) => {
          if (this.closed) {
            void worker.terminate().catch(() => {});
            return;
          }
          slot.worker = worker;
          this.watch(slot);
          this.pump();
        },
        () => this.pump(),
      );
  }

  private notePeak(): void {
    const alive = this.preparing + this.ready.length + this.slots.filter((s) => s.job).length;
    this.stats.peakImages = Math.max(this.stats.peakImages, alive);
  }
}
