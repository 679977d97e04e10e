/**
 * The submit core: pulls inputs from the walker, identifies each document by content, decides from the manifest
 * what is left to do, hands documents to the target with a bounded number in flight, and journals every outcome.
 * It never holds the list of inputs; memory grows only with the number of distinct documents (the resume index).
 */
import { setTimeout } from 'node:timers/promises';
import { DocumentError, ErrorCodes, type DocumentFailure } from '../errors.js';
import { sha256Hex, skippedContentId, sourceId } from '../documents/hash.js';
import { describeUnknown, sniffType } from '../documents/sniff.js';
import type { DocType } from '../documents/types.js';
import { DigestSet } from '../manifest/compact.js';
import { contentKey, type ResumeIndex } from '../manifest/resume-index.js';
import { attemptRow, attemptTakenBackRow, completedRow, failedRow, skippedRow, sourcesRow, type Row } from '../manifest/rows.js';
import type { IndexEntry } from '../manifest/types.js';
import type { DocumentJournal, ManifestWriter } from '../manifest/writer.js';
import type { DocumentCounts, RunEvent } from '../output/events.js';
import type { Target, TargetDocument } from '../targets/types.js';
import type { InputItem } from '../walk/types.js';
import { escapeForDisplay } from '../output/display.js';
import { describeChanges } from '../manifest/settings.js';
import { mergeSources, planDocument, type ResumePolicy } from './plan.js';
import type { ResultFiles } from './result-writer.js';

const EMPTY = Buffer.alloc(0);

/**
 * The count ahead starts once the walk has gone on this long: a walk that ends sooner has its count, and a count would
 * only have listed every folder a second time beside it.
 */
export const COUNT_AHEAD_AFTER_MS = 2000;

export interface PipelineOptions {
  policy: ResumePolicy;
  dryRun: boolean;
  /** Documents read and in processing at once; the target spreads their pages over its own workers. */
  documentsInFlight: number;
  resultsDir?: string;
  /** When the count ahead starts, if the walk is still going (COUNT_AHEAD_AFTER_MS by default). */
  countAheadAfterMs?: number;
}

export interface PipelineDeps {
  /** The manifest's one writer (a dry run passes one that discards). */
  writer: ManifestWriter;
  index: ResumeIndex;
  target: Target;
  emit: (event: RunEvent) => void;
  signal: AbortSignal;
  now: () => number;
  /** With --results-dir: the files of completed documents, one set per source (or per job). */
  results?: ResultFiles;
  /** Aborted when --timeout runs out: remote targets stop waiting and leave their jobs submitted. */
  waitSignal?: AbortSignal;
  /**
   * Counts the inputs ahead of the walk (walk/count.ts), so that progress has a total long before the walk, which
   * keeps pace with processing, ends: tells the count as it grows, and resolves to the final count, or null when it
   * cannot be known ahead. Stopped through `signal` once the walk itself is over.
   */
  countAhead?: (onCount: (files: number) => void, signal: AbortSignal) => Promise<number | null>;
}

export interface PipelineCounts extends DocumentCounts {
  /** Bytes of the inputs read (documents, copies and files of other types alike). */
  bytes: number;
  alreadyDone: number;
  /** Completed documents processed again because their settings differ, by change (`lang eng -> fra`). */
  redoneForSettings: Map<string, number>;
  lowConfidencePages: number;
  skippedByCode: Record<string, number>;
}

/** A job id for a redo of content whose finished job is replaced: the content's id and the time, in base 36. */
export function redoJobId(contentId: string, now: number): string {
  return `${contentId}_${Math.floor(now).toString(36)}`;
}

/** Runs the walk's inputs, which come in arrays (walk/walk.ts walkBatches), in walk order. */
export async function runPipeline(batches: AsyncIterable<readonly InputItem[]>, options: PipelineOptions, deps: PipelineDeps): Promise<PipelineCounts> {
  return new Pipeline(options, deps).run(batches);
}

class Pipeline {
  readonly counts: PipelineCounts = {
    files: 0,
    completed: 0,
    failed: 0,
    skipped: 0,
    duplicates: 0,
    pending: 0,
    pages: 0,
    bytes: 0,
    alreadyDone: 0,
    redoneForSettings: new Map(),
    lowConfidencePages: 0,
    processed: 0,
    failures: [],
    skippedByCode: {},
  };
  /** Contents met in this run (documents, and unsupported files apart): later inputs with them are duplicates. */
  private readonly seen = new DigestSet();
  private readonly seenUnsupported = new DigestSet();
  /** Contents being processed now: their lines, with the sources gathered until their row is written. */
  private readonly inProgress = new Map<string, DocumentJournal>();
  private fatal: unknown = null;
  private readonly stop = new AbortController();
  private readonly gate = new ExclusiveGate();
  private walkDone = false;

  constructor(
    private readonly options: PipelineOptions,
    private readonly deps: PipelineDeps,
  ) {}

  async run(batches: AsyncIterable<readonly InputItem[]>): Promise<PipelineCounts> {
    // A document holds a slot until it is done or, for remote targets, until its submission is recorded; waiting
    // for remote results then goes on without holding the document's bytes or a slot.
    // Slots are counted, and the walk waits on one promise for the next to be freed: a race over every slot held
    // cost each input a reaction per slot.
    let held = 0;
    let wake: (() => void) | undefined;
    const tasks = new Set<Promise<void>>();
    const limit = Math.max(1, this.options.documentsInFlight);
    const stopped = () => this.deps.signal.aborted || this.stop.signal.aborted;
    const counting = new AbortController();
    const counted = this.countAhead(counting.signal);
    try {
      walk: for await (const batch of batches) {
        for (const item of batch) {
          if (stopped()) break walk;
          this.counts.files++;
          this.deps.emit({ type: 'input', source: item.source });
          held++;
          let released = false;
          const release = (): void => {
            if (released) return;
            released = true;
            held--;
            const waiting = wake;
            wake = undefined;
            waiting?.();
          };
          const task: Promise<void> = this.handle(item, release)
            .catch((err) => this.fail(err))
            .finally(() => {
              release();
              tasks.delete(task);
            });
          tasks.add(task);
          while (held >= limit) await new Promise<void>((resolve) => (wake = resolve));
          if (stopped()) break walk;
        }
      }
    } finally {
      counting.abort();
    }
    // The walk is over: its own count is exact (unless counting ahead got there first).
    this.finishWalk(this.counts.files);
    await Promise.all(tasks);
    await counted;
    if (this.fatal) throw this.fatal;
    return this.counts;
  }

  /** Runs the count ahead of the walk, if there is one; it never fails the run (it only feeds progress). */
  private async countAhead(signal: AbortSignal): Promise<void> {
    const count = this.deps.countAhead;
    if (!count) return;
    const onCount = (files: number): void => {
      if (!this.walkDone) this.deps.emit({ type: 'found', files });
    };
    const stopped = AbortSignal.any([signal, this.deps.signal, this.stop.signal]);
    try {
      await setTimeout(this.options.countAheadAfterMs ?? COUNT_AHEAD_AFTER_MS, undefined, { signal: stopped });
    } catch {
      // The walk ended first (or the run stopped): its own count is final.
      return;
    }
    try {
      const files = await count(onCount, stopped);
      if (files !== null) this.finishWalk(files);
    } catch {
      // Progress goes on with the inputs found by the walk itself.
    }
  }

  /** `walk_done`, once: when counting ahead or the walk itself gets to the end, whichever is first. */
  private finishWalk(files: number): void {
    if (this.walkDone || this.deps.signal.aborted || this.stop.signal.aborted) return;
    this.walkDone = true;
    this.deps.emit({ type: 'walk_done', files });
  }

  /** A journal failure or a bug stops the whole run; document failures never come here. */
  private fail(err: unknown): void {
    if (!this.fatal) this.fatal = err;
    this.stop.abort(err);
  }

  private async handle(item: InputItem, release: () => void): Promise<void> {
    if (item.kind === 'skipped') {
      await this.recordSkip(sourceId(item.source), item.source, null, item.error);
      return;
    }
    let data: Buffer;
    try {
      data = await item.read();
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      await this.recordSkip(sourceId(item.source), item.source, null, err.toFailure());
      return;
    }
    this.counts.bytes += data.length;
    // Files read while walking come hashed by a probe thread.
    const sha256 = item.sha256 ?? sha256Hex(data);
    const type = sniffType(data.subarray(0, 1024));
    const { target, index } = this.deps;
    const key = type ? contentKey(target.name, sha256) : `skip:${sha256}`;
    if (!(type ? this.seen : this.seenUnsupported).add(sha256)) {
      this.counts.duplicates++;
      await this.addSource(key, type ? this.jobIdOf(sha256) : skippedContentId(sha256), item.source, sha256);
      this.deps.emit({ type: 'duplicate', source: item.source });
      return;
    }
    if (!type) {
      const failure: DocumentFailure = {
        code: ErrorCodes.UNSUPPORTED_TYPE,
        message: `${escapeForDisplay(item.source)}: ${describeUnknown(data.subarray(0, 64))} is not a supported document (PDF, PNG, JPEG, TIFF, WebP, BMP, GIF)`,
        category: 'input',
      };
      await this.recordSkip(skippedContentId(sha256), item.source, sha256, failure);
      return;
    }
    const jobId = this.jobIdOf(sha256);
    const entry = jobId === undefined ? undefined : index.get(jobId);
    const decision = planDocument(entry, this.options.policy);
    if (decision.action === 'give-up') {
      await this.giveUp(jobId!, item.source, { sha256, type, bytes: data.length }, decision.attempts, entry!);
      return;
    }
    if (decision.action === 'keep') {
      this.countKept(jobId!, item.source, decision.status, entry!);
      await this.addSource(key, jobId, item.source, sha256);
      return;
    }
    if (decision.reason === 'settings') {
      const change = describeChanges(decision.changes);
      const seen = this.counts.redoneForSettings.get(change);
      this.counts.redoneForSettings.set(change, (seen ?? 0) + 1);
      if (seen === undefined) {
        const verb = this.options.dryRun ? 'would be processed again' : 'processing them again';
        this.deps.emit({ type: 'warning', message: `documents done with other settings (${change}): ${verb}` });
      }
    }
    const previous = jobId !== undefined && entry ? { jobId, entry, resume: decision.reason === 'unfinished' } : undefined;
    const job = { key, source: item.source, sha256, type, data, previous, release };
    // From here on the bytes are reachable only through `job`, so they can be let go once submitted.
    data = EMPTY;
    await this.process(job);
  }

  /** The result settings to record with a completed outcome. */
  private settingsOf(outcome: { result?: unknown }): Readonly<Record<string, string>> | undefined {
    const settings = this.options.policy.settings;
    if (!settings) return undefined;
    return this.deps.target.settingsFor ? this.deps.target.settingsFor(outcome, settings) : settings;
  }

  /**
   * The job id for this content: the latest recorded for it (a redo's, or a provider's), else the one local targets
   * derive from the content.
   */
  private jobIdOf(sha256: string): string | undefined {
    const { target, index } = this.deps;
    return index.jobForContent(target.name, sha256) ?? target.jobIdFor?.(sha256);
  }

  /** A document in progress each time a run died: recorded as failed instead of being tried again. */
  private async giveUp(
    jobId: string,
    source: string,
    doc: { sha256: string; type: DocType; bytes: number },
    attempts: number,
    entry: IndexEntry,
  ): Promise<void> {
    const error: DocumentFailure = {
      code: ErrorCodes.CRASHED_REPEATEDLY,
      message:
        `${escapeForDisplay(source)}: the run stopped ${attempts} times while this document was in progress (killed, or out of memory), ` +
        'so it is not tried again (run with --retry-failed CRASHED_REPEATEDLY to try it once more)',
      category: 'engine',
    };
    this.counts.failed++;
    this.counts.processed++;
    this.counts.failures.push({ source, job_id: jobId, code: error.code, message: error.message });
    this.deps.emit({ type: 'document', job_id: jobId, status: 'failed', source, outcome: 'processed', error });
    if (this.options.dryRun) return;
    const sources = mergeSources(entry.sources, source) ?? entry.sources;
    await this.deps.writer.append(failedRow({ jobId, sources, sha256: doc.sha256, target: this.deps.target.name, ts: this.ts() }, doc, { error }));
  }

  private ts(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private countKept(jobId: string, source: string, status: 'completed' | 'failed' | 'skipped', entry: IndexEntry): void {
    this.counts.alreadyDone++;
    if (status === 'completed') this.counts.completed++;
    else if (status === 'failed') {
      this.counts.failed++;
      this.counts.failures.push({ source, job_id: jobId, code: entry.errorCode ?? 'UNKNOWN', message: keptFailureMessage(source, entry) });
    } else this.counts.skipped++;
    this.deps.emit({ type: 'document', job_id: jobId, status, source, outcome: 'kept' });
  }

  private async process(job: {
    key: string;
    source: string;
    sha256: string;
    type: DocType;
    data: Buffer;
    previous?: { jobId: string; entry: IndexEntry; resume: boolean };
    release: () => void;
  }): Promise<void> {
    const { target, now } = this.deps;
    const { key, source, sha256, type } = job;
    const bytes = job.data.length;
    const doc = { sha256, type, data: job.data, source };
    job.data = EMPTY;
    if (this.options.dryRun) {
      const pages = await target.countPages(doc);
      this.counts.pages += pages ?? 0;
      this.counts.processed++;
      this.counts.pending++;
      this.deps.emit({ type: 'document', job_id: this.jobIdOf(sha256) ?? '', status: 'submitted', source, outcome: 'planned', pages: pages ?? undefined });
      return;
    }
    // Every line names all the content's sources known so far (a plain merge keeps only the last line's list); the
    // document's lines stay open until its outcome is written, gathering the copies met meanwhile.
    const sources = job.previous ? (mergeSources(job.previous.entry.sources, source) ?? [...job.previous.entry.sources]) : [source];
    const journal = this.deps.writer.openDocument({ sha256, type, bytes, target: target.name, settings: this.options.policy.settings }, sources, now);
    if (job.previous?.resume) journal.claim(job.previous.jobId);
    this.inProgress.set(key, journal);
    try {
      await this.processDocument(job, doc, journal);
    } finally {
      // Each way out of processDocument lets go of the content as soon as no later line names its sources; this
      // catches any other.
      if (this.inProgress.get(key) === journal) this.inProgress.delete(key);
      journal.close();
    }
  }

  private async processDocument(
    job: { key: string; source: string; sha256: string; previous?: { jobId: string; entry: IndexEntry; resume: boolean }; release: () => void },
    doc: TargetDocument,
    journal: DocumentJournal,
  ): Promise<void> {
    const { target, now } = this.deps;
    const { key, source, sha256 } = job;
    // An attempt is journaled before it starts, so that a run that dies during it leaves a trace the next run counts.
    // A document with an unfinished attempt behind it runs alone: if the process dies again, it is the one to blame.
    let attempt = 0;
    let leave = (): void => {};
    // A finished job done again (--force, --retry-failed, other settings) gets a job id of its own and the old one
    // ends superseded, as remote redos do: a plain merge of the journal then never mixes two outcomes.
    let jobId = this.jobIdOf(sha256)!;
    const prev = job.previous;
    const redo = target.jobIdFor !== undefined && prev !== undefined && !prev.resume && (prev.entry.status === 'completed' || prev.entry.status === 'failed');
    if (redo) jobId = redoJobId(target.jobIdFor!(sha256), now());
    if (target.recordsAttempts) {
      attempt = (prev?.entry.status === 'processing' ? (prev.entry.unfinishedAttempts ?? 0) : 0) + 1;
      leave = await this.gate.enter(attempt > 1);
      try {
        await journal.append(attemptRow(journal.line(jobId), journal.doc, attempt));
        if (redo) await journal.superseded(prev!.jobId, jobId);
      } catch (err) {
        leave();
        this.inProgress.delete(key);
        throw err;
      }
    }
    const started = now();
    let outcome;
    let pagesInDocument: number | undefined;
    try {
      outcome = await target.process(doc, {
        signal: AbortSignal.any([this.deps.signal, this.stop.signal]),
        waitSignal: this.deps.waitSignal,
        onPageCount: (pages) => (pagesInDocument = pages),
        onPage: (page) =>
          this.deps.emit({
            type: 'page',
            source,
            page: page.page,
            page_source: page.source,
            ...(pagesInDocument === undefined ? {} : { pages_in_document: pagesInDocument }),
          }),
        previous: job.previous,
        journal,
        onSubmitted: () => {
          // A remote job may take long to finish: its document's bytes are not kept while it is waited for.
          doc.data = EMPTY;
          job.release();
        },
      });
    } catch (err) {
      leave();
      if (this.deps.signal.aborted || this.stop.signal.aborted) {
        // Interrupted: the next run picks it up (a recorded remote job is polled, not submitted again). A clean stop
        // is not a crash: the attempt is taken back.
        if (attempt > 0) await journal.append(attemptTakenBackRow(journal.line(jobId), attempt - 1)).catch(() => {});
        this.inProgress.delete(key);
        this.counts.pending++;
        return;
      }
      this.inProgress.delete(key);
      throw err;
    }
    leave();
    if (redo) outcome = { ...outcome, jobId };
    if ('pending' in outcome) {
      this.inProgress.delete(key);
      this.counts.pending++;
      this.deps.emit({ type: 'document', job_id: outcome.jobId, status: 'submitted', source, outcome: 'processed' });
      return;
    }
    const line = journal.line(outcome.jobId);
    const elapsedMs = Math.round(now() - started);
    // Written when above 0, and as 0 over an earlier outcome's count, so that a plain merge never keeps a stale one.
    const low = outcome.ok ? (outcome.lowConfidencePages ?? 0) : 0;
    const lowConfidencePages = low > 0 || job.previous?.entry.lowConfidencePages ? low : undefined;
    let row: Row;
    if (outcome.ok) {
      const completed = { elapsedMs, pages: outcome.pages, result: outcome.result, text: outcome.text, lowConfidencePages, settings: this.settingsOf(outcome) };
      row = completedRow(line, journal.doc, completed);
      if (this.deps.results) row = completedRow(line, journal.doc, { ...completed, textPath: await this.deps.results.write(outcome.jobId, row) });
      this.counts.completed++;
      this.counts.pages += outcome.pages;
      this.counts.lowConfidencePages += outcome.lowConfidencePages ?? 0;
    } else {
      row = failedRow(line, journal.doc, { elapsedMs, error: outcome.error, pages: outcome.pages, lowConfidencePages });
      this.counts.failed++;
      this.counts.failures.push({ source, job_id: outcome.jobId, code: outcome.error.code, message: outcome.error.message });
    }
    this.counts.processed++;
    // A webhook outcome was journaled by the listener before it answered the provider, with the sources the manifest
    // knew then; copies of this content met while the row was being written are recorded in one update line.
    // A webhook for this job may have been stored while its result was polled: one outcome line per job.
    const delivered = !outcome.recorded && this.deps.writer.outcomeAppended(outcome.jobId) === row.status;
    if (!outcome.recorded && !delivered) await journal.append(row);
    const gathered = [...journal.sources];
    this.inProgress.delete(key);
    const written = outcome.recorded || delivered ? (this.deps.index.get(outcome.jobId)?.sources ?? []) : line.sources;
    if (gathered.some((s) => !written.includes(s))) {
      const added = gathered.filter((s) => !written.includes(s));
      const all = [...written, ...added];
      await this.deps.writer.append(sourcesRow({ ...line, sources: all, ts: this.ts() }, row.status));
      if (row.status === 'completed') await this.deps.results?.addSources(added, all, row);
    }
    this.deps.emit({
      type: 'document',
      job_id: outcome.jobId,
      status: row.status,
      source,
      outcome: 'processed',
      pages: row.pages,
      error: row.error,
      elapsed_ms: row.elapsed_ms,
    });
  }

  private async recordSkip(jobId: string, source: string, sha256: string | null, error: DocumentFailure): Promise<void> {
    this.counts.skipped++;
    this.counts.skippedByCode[error.code] = (this.counts.skippedByCode[error.code] ?? 0) + 1;
    this.deps.emit({ type: 'document', job_id: jobId, status: 'skipped', source, outcome: 'processed', error });
    if (this.options.dryRun) return;
    const known = this.deps.index.get(jobId);
    // Re-runs do not repeat an identical skipped row.
    if (known && known.status === 'skipped' && known.errorCode === error.code && known.sources.includes(source)) return;
    const sources = known ? (mergeSources(known.sources, source) ?? known.sources) : [source];
    await this.deps.writer.append(skippedRow({ jobId, sources, sha256, target: this.deps.target.name, ts: this.ts(), error }));
  }

  /** Records another source for a content: kept with the row being produced, or appended as an update line. */
  private async addSource(key: string, jobId: string | undefined, source: string, sha256: string): Promise<void> {
    const pending = this.inProgress.get(key);
    if (pending) {
      pending.addSource(source);
      return;
    }
    const entry = jobId === undefined ? undefined : this.deps.index.get(jobId);
    if (!entry || this.options.dryRun) return;
    const sources = mergeSources(entry.sources, source);
    if (!sources) return;
    await this.deps.writer.append(sourcesRow({ jobId: jobId!, sources, sha256, target: this.deps.target.name, ts: this.ts() }, entry.status));
    // A copy met after its content completed (in this run or an earlier one) gets result files of its own too.
    if (entry.status === 'completed') await this.deps.results?.addSources([source], sources);
  }
}

/**
 * A failure kept from an earlier run, with its original reason: `a.pdf: not a readable PDF (…) (from an earlier run;
 * retry with --retry-failed)`. The message named the source it was met as, which may be another copy of the content.
 */
export function keptFailureMessage(source: string, entry: IndexEntry): string {
  const original = entry.errorMessage;
  if (original === undefined) return 'failed in an earlier run (retry with --retry-failed)';
  const named = entry.sources.map((s) => `${escapeForDisplay(s)}: `).find((prefix) => original.startsWith(prefix));
  const reason = named === undefined ? original : original.slice(named.length);
  return `${escapeForDisplay(source)}: ${reason} (from an earlier run; retry with --retry-failed)`;
}

/**
 * Lets documents be processed side by side, except one that must run alone: it waits for those in progress to end,
 * and the others wait for it.
 */
export class ExclusiveGate {
  private running = 0;
  private alone: Promise<void> | null = null;
  private drained: Array<() => void> = [];

  async enter(exclusive: boolean): Promise<() => void> {
    while (this.alone) await this.alone;
    if (!exclusive) {
      this.running++;
      return once(() => this.exit());
    }
    let done!: () => void;
    this.alone = new Promise<void>((resolve) => (done = resolve));
    while (this.running > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    this.running++;
    return once(() => {
      this.alone = null;
      done();
      this.exit();
    });
  }

  private exit(): void {
    this.running--;
    if (this.running === 0) for (const resolve of this.drained.splice(0)) resolve();
  }
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
