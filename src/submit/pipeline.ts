/**
 * The submit core: pulls inputs from the walker, identifies each document by content, decides from the manifest
 * what is left to do, hands documents to the target with a bounded number in flight, and journals every outcome.
 * It never holds the list of inputs; memory grows only with the number of distinct documents (the resume index).
 */
import path from 'node:path';
import { DocumentError, ErrorCodes, type DocumentFailure } from '../errors.js';
import { sha256Hex, skippedContentId, sourceId } from '../documents/hash.js';
import { describeUnknown, sniffType } from '../documents/sniff.js';
import { MIME_TYPES, type DocType } from '../documents/types.js';
import type { IndexEntry, ManifestRow } from '../manifest/types.js';
import type { RunEvent } from '../output/events.js';
import type { Target } from '../targets/types.js';
import type { InputItem } from '../walk/types.js';
import { escapeForDisplay } from '../output/display.js';
import { mergeSources, planDocument, type ResumePolicy } from './plan.js';

export interface PipelineOptions {
  policy: ResumePolicy;
  dryRun: boolean;
  /** Documents read and in processing at once; the target spreads their pages over its own workers. */
  documentsInFlight: number;
  resultsDir?: string;
}

/** The part of the journal the pipeline needs (a dry run passes a no-op). */
export interface RowSink {
  append(row: ManifestRow): Promise<void>;
}

export interface PipelineDeps {
  sink: RowSink;
  index: Map<string, IndexEntry>;
  target: Target;
  emit: (event: RunEvent) => void;
  signal: AbortSignal;
  now: () => number;
  writeResult?: (jobId: string, row: ManifestRow) => Promise<string>;
}

export interface PipelineCounts {
  files: number;
  completed: number;
  failed: number;
  skipped: number;
  duplicates: number;
  pending: number;
  pages: number;
  alreadyDone: number;
  processed: number;
  failures: Array<{ source: string; job_id: string; code: string; message: string }>;
  skippedByCode: Record<string, number>;
}

export async function runPipeline(items: AsyncIterable<InputItem>, options: PipelineOptions, deps: PipelineDeps): Promise<PipelineCounts> {
  return new Pipeline(options, deps).run(items);
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
    alreadyDone: 0,
    processed: 0,
    failures: [],
    skippedByCode: {},
  };
  /** Job ids met in this run: later inputs with the same content are duplicates. */
  private readonly seen = new Set<string>();
  /** Sources of jobs being processed now, gathered until their row is written. */
  private readonly inProgress = new Map<string, string[]>();
  private fatal: unknown = null;
  private readonly stop = new AbortController();

  constructor(
    private readonly options: PipelineOptions,
    private readonly deps: PipelineDeps,
  ) {}

  async run(items: AsyncIterable<InputItem>): Promise<PipelineCounts> {
    const inflight = new Set<Promise<void>>();
    const limit = Math.max(1, this.options.documentsInFlight);
    const stopped = () => this.deps.signal.aborted || this.stop.signal.aborted;
    for await (const item of items) {
      if (stopped()) break;
      this.counts.files++;
      this.deps.emit({ type: 'input', source: item.source });
      const task = this.handle(item).catch((err) => this.fail(err));
      const tracked: Promise<void> = task.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      while (inflight.size >= limit) await Promise.race(inflight);
      if (stopped()) break;
    }
    await Promise.all(inflight);
    if (!stopped()) this.deps.emit({ type: 'walk_done', files: this.counts.files });
    if (this.fatal) throw this.fatal;
    return this.counts;
  }

  /** A journal failure or a bug stops the whole run; document failures never come here. */
  private fail(err: unknown): void {
    if (!this.fatal) this.fatal = err;
    this.stop.abort(err);
  }

  private async handle(item: InputItem): Promise<void> {
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
    const sha256 = sha256Hex(data);
    const type = sniffType(data.subarray(0, 1024));
    const jobId = type ? this.deps.target.jobIdFor(sha256) : skippedContentId(sha256);
    if (this.seen.has(jobId)) {
      this.counts.duplicates++;
      await this.addSource(jobId, item.source, sha256);
      return;
    }
    this.seen.add(jobId);
    if (!type) {
      const failure: DocumentFailure = {
        code: ErrorCodes.UNSUPPORTED_TYPE,
        message: `${escapeForDisplay(item.source)}: ${describeUnknown(data.subarray(0, 64))} is not a supported document (PDF, PNG, JPEG, TIFF, WebP, BMP, GIF)`,
        category: 'input',
      };
      await this.recordSkip(jobId, item.source, sha256, failure);
      return;
    }
    const entry = this.deps.index.get(jobId);
    const decision = planDocument(entry, this.options.policy);
    if (decision.action === 'keep') {
      this.countKept(jobId, item.source, decision.status, entry!);
      await this.addSource(jobId, item.source, sha256);
      return;
    }
    await this.process(jobId, item.source, sha256, type, data);
  }

  private countKept(jobId: string, source: string, status: 'completed' | 'failed' | 'skipped', entry: IndexEntry): void {
    this.counts.alreadyDone++;
    if (status === 'completed') this.counts.completed++;
    else if (status === 'failed') {
      this.counts.failed++;
      this.counts.failures.push({ source, job_id: jobId, code: entry.errorCode ?? 'UNKNOWN', message: 'failed in an earlier run (retry with --retry-failed)' });
    } else this.counts.skipped++;
    this.deps.emit({ type: 'document', job_id: jobId, status, source, outcome: 'kept' });
  }

  private async process(jobId: string, source: string, sha256: string, type: DocType, data: Buffer): Promise<void> {
    const { target, now } = this.deps;
    const doc = { sha256, type, data, source };
    if (this.options.dryRun) {
      const pages = await target.countPages(doc);
      this.counts.pages += pages ?? 0;
      this.counts.processed++;
      this.counts.pending++;
      this.deps.emit({ type: 'document', job_id: jobId, status: 'submitted', source, outcome: 'planned', pages: pages ?? undefined });
      return;
    }
    this.inProgress.set(jobId, [source]);
    const started = now();
    let outcome;
    try {
      outcome = await target.process(doc, {
        signal: AbortSignal.any([this.deps.signal, this.stop.signal]),
        onPage: (page) => this.deps.emit({ type: 'page', source, page: page.page, page_source: page.source }),
      });
    } catch (err) {
      this.inProgress.delete(jobId);
      if (this.deps.signal.aborted || this.stop.signal.aborted) {
        // Interrupted: nothing recorded, so the next run processes it again.
        this.counts.pending++;
        return;
      }
      throw err;
    }
    const sources = [...(this.inProgress.get(jobId) ?? [source])];
    const base: ManifestRow = {
      job_id: jobId,
      status: outcome.ok ? 'completed' : 'failed',
      source: sources[0],
      sources,
      sha256,
      target: target.name,
      ts: new Date(now()).toISOString(),
      type,
      mime: MIME_TYPES[type],
      bytes: data.length,
      elapsed_ms: Math.round(now() - started),
    };
    let row: ManifestRow;
    if (outcome.ok) {
      row = { ...base, pages: outcome.pages, text: outcome.text, result: outcome.result };
      if (this.deps.writeResult) row.text_path = await this.deps.writeResult(jobId, row);
      this.counts.completed++;
      this.counts.pages += outcome.pages;
    } else {
      row = { ...base, error: outcome.error };
      if (outcome.pages !== undefined) row.pages = outcome.pages;
      this.counts.failed++;
      this.counts.failures.push({ source, job_id: jobId, code: outcome.error.code, message: outcome.error.message });
    }
    this.counts.processed++;
    await this.deps.sink.append(row);
    // Copies of this content met while the row was being written are recorded in one update line.
    const gathered = this.inProgress.get(jobId) ?? sources;
    this.inProgress.delete(jobId);
    if (gathered.length > sources.length) {
      await this.deps.sink.append({ ...pick(row), sources: gathered, ts: new Date(now()).toISOString() });
    }
    this.deps.emit({
      type: 'document',
      job_id: jobId,
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
    await this.deps.sink.append({
      job_id: jobId,
      status: 'skipped',
      source: sources[0],
      sources,
      sha256,
      target: this.deps.target.name,
      ts: new Date(this.deps.now()).toISOString(),
      error,
    });
  }

  /** Records another source for a job: kept with the row being produced, or appended as an update line. */
  private async addSource(jobId: string, source: string, sha256: string): Promise<void> {
    const pending = this.inProgress.get(jobId);
    if (pending) {
      if (!pending.includes(source)) pending.push(source);
      return;
    }
    const entry = this.deps.index.get(jobId);
    if (!entry || this.options.dryRun) return;
    const sources = mergeSources(entry.sources, source);
    if (!sources) return;
    await this.deps.sink.append({
      job_id: jobId,
      status: entry.status,
      source: sources[0],
      sources,
      sha256,
      target: this.deps.target.name,
      ts: new Date(this.deps.now()).toISOString(),
    });
  }
}

/** The fields every manifest line carries. */
function pick(row: ManifestRow): ManifestRow {
  const { job_id, status, source, sha256, target, ts } = row;
  return { job_id, status, source, sha256, target, ts };
}

/** Writes `<dir>/<job_id>.json` (the full row) and `<dir>/<job_id>.txt`; returns the text file's path. */
export function resultWriter(dir: string, writeFileAtomic: (file: string, data: string) => Promise<void>) {
  return async (jobId: string, row: ManifestRow): Promise<string> => {
    const txt = path.join(dir, `${jobId}.txt`);
    await writeFileAtomic(path.join(dir, `${jobId}.json`), JSON.stringify({ ...row, text_path: txt }, null, 2) + '\n');
    await writeFileAtomic(txt, row.text ?? '');
    return txt;
  };
}
