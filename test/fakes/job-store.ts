import { createHash } from 'node:crypto';
import type { ContentInfo, FailureSpec, FakeJob, FakeOptions, JobOutcome, ProgressOptions } from './types.js';

/** A provider's status words: the non-terminal ones in order, then the terminal ones. */
export interface JobStateSpec {
  nonTerminal: readonly string[];
  completed: string;
  failed: (failure: FailureSpec) => string;
}

export interface NewFile {
  data: Buffer;
  filename?: string;
  mimeType?: string;
}

export interface NewJob {
  files: NewFile[];
  /** Use this id (LeapOCR reserves ids before the bytes arrive). */
  id?: string;
  idempotencyKey?: string;
  callbackUrl?: string;
  params?: Record<string, unknown>;
}

export const DEFAULT_POLLS = 1;

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What the fake "recognises" in a document: configured text, configured failure, or a stable default. */
export function resolveOutcome(sha: string, options: FakeOptions): JobOutcome {
  const failure = options.failures?.get(sha);
  if (failure) return { kind: 'failed', code: failure.code, message: failure.message };
  const text = options.texts?.get(sha);
  if (text === undefined) return { kind: 'completed', pages: [`text for ${sha.slice(0, 12)}`] };
  return { kind: 'completed', pages: typeof text === 'string' ? [text] : [...text.pages] };
}

/** Jobs of one fake: ids, idempotency keys, status progression, and the finish hook. */
export class JobStore {
  readonly jobs = new Map<string, FakeJob>();
  readonly submissionsByContent = new Map<string, number>();
  private readonly byKey = new Map<string, FakeJob>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private timerWaiters: Array<() => void> = [];

  constructor(
    private readonly states: JobStateSpec,
    private readonly newId: () => string,
    private readonly options: () => FakeOptions,
    /** The fake's own finish listener (the webhook sender); runs before the test's `onJobFinished`. */
    private readonly onFinished?: (job: FakeJob) => void,
  ) {}

  create(input: NewJob): FakeJob {
    const opts = this.options();
    const files: ContentInfo[] = input.files.map((f) => ({
      sha256: sha256Hex(f.data),
      size: f.data.length,
      filename: f.filename,
      mimeType: f.mimeType,
    }));
    const outcome = combineOutcomes(files.map((f) => resolveOutcome(f.sha256, opts)));
    const job: FakeJob = {
      id: input.id ?? this.newId(),
      sha256: files[0]?.sha256 ?? sha256Hex(Buffer.alloc(0)),
      files,
      status: this.states.nonTerminal[0],
      terminal: false,
      polls: 0,
      outcome,
      pageCount: outcome.kind === 'completed' ? Math.max(1, outcome.pages.length) : 1,
      createdAt: new Date(),
      idempotencyKey: input.idempotencyKey,
      callbackUrl: input.callbackUrl,
      inline: false,
      params: input.params ?? {},
      deleted: false,
      progress: progressOf(opts),
    };
    this.jobs.set(job.id, job);
    for (const f of files) this.submissionsByContent.set(f.sha256, (this.submissionsByContent.get(f.sha256) ?? 0) + 1);
    if (input.idempotencyKey) this.byKey.set(input.idempotencyKey, job);
    if (job.progress.ms !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!job.terminal) this.finish(job);
        this.wakeTimerWaiters();
      }, job.progress.ms);
      timer.unref();
      this.timers.add(timer);
    }
    return job;
  }

  get(id: string): FakeJob | undefined {
    const job = this.jobs.get(id);
    return job && !job.deleted ? job : undefined;
  }

  findByIdempotencyKey(key: string): FakeJob | undefined {
    const job = this.byKey.get(key);
    return job && !job.deleted ? job : undefined;
  }

  /** One read of the job: it advances through the non-terminal states, then finishes. */
  observe(job: FakeJob): FakeJob {
    if (job.terminal) return job;
    job.polls++;
    const { polls, ms } = job.progress;
    const elapsed = Date.now() - job.createdAt.getTime();
    const due = (polls !== undefined && job.polls > polls) || (ms !== undefined && elapsed >= ms);
    if (due) {
      this.finish(job);
      return job;
    }
    const n = this.states.nonTerminal.length;
    const index =
      polls !== undefined && polls > 0
        ? Math.ceil((job.polls * n) / polls) - 1
        : Math.floor((elapsed / Math.max(1, ms ?? 1)) * n);
    this.setStatus(job, this.states.nonTerminal[Math.min(n - 1, Math.max(0, index))]);
    return job;
  }

  /** Finishes the job at once, as a synchronous answer does. */
  finishInline(job: FakeJob): FakeJob {
    job.inline = true;
    this.finish(job);
    return job;
  }

  /** Ends the job in a terminal state that is not its outcome (OCRQueen cancel). */
  stop(job: FakeJob, status: string): void {
    this.setStatus(job, status);
    job.terminal = true;
    job.finishedAt = new Date();
  }

  remove(job: FakeJob): void {
    job.deleted = true;
  }

  /** Resolves once no job is waiting on its `progress.ms` timer (at once when none is). */
  timersSettled(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.timerWaiters.push(resolve));
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeTimerWaiters();
  }

  private wakeTimerWaiters(): void {
    if (this.timers.size > 0) return;
    const waiters = this.timerWaiters;
    this.timerWaiters = [];
    for (const wake of waiters) wake();
  }

  private finish(job: FakeJob): void {
    const status = job.outcome.kind === 'completed' ? this.states.completed : this.states.failed(job.outcome);
    job.startedAt ??= new Date();
    job.status = status;
    job.terminal = true;
    job.finishedAt = new Date();
    this.onFinished?.(job);
    try {
      this.options().onJobFinished?.(job);
    } catch {
      // A test's hook must not break the fake's answer.
    }
  }

  private setStatus(job: FakeJob, status: string): void {
    if (status !== this.states.nonTerminal[0]) job.startedAt ??= new Date();
    job.status = status;
  }
}

function progressOf(opts: FakeOptions): ProgressOptions {
  const p = opts.progress;
  return p && (p.polls !== undefined || p.ms !== undefined) ? { ...p } : { polls: DEFAULT_POLLS };
}

/** A multi-document job fails when any document fails; otherwise its pages follow the documents' order. */
function combineOutcomes(outcomes: JobOutcome[]): JobOutcome {
  const failed = outcomes.find((o) => o.kind === 'failed');
  if (failed) return failed;
  return { kind: 'completed', pages: outcomes.flatMap((o) => (o.kind === 'completed' ? o.pages : [])) };
}
