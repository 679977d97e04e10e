/**
 * The join of `ocrq merge`, second pass: each input is read again, each job folded (README "The manifest": later
 * non-null fields win, sources are united) and written on exactly one line once its last line is read. A plain
 * object merge by job id of the merged file is then its folded view, whatever the inputs were.
 *
 * Memory: the folds of jobs whose lines are still to come (usually the few in flight when the line was written),
 * with the bulky fields of long lines (`text`, `result`) left in the file and read again when the job is written;
 * and, for contents that several inputs hold, their sources and where the winner's lines are, until the last of
 * their jobs is read (the winner is then folded again from its lines).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ManifestError } from '../../errors.js';
import { DEFER_LINE_BYTES } from '../../manifest/folded-view.js';
import { mergeRow, unionSources } from '../../manifest/fold.js';
import { isSuperseded } from '../../manifest/intents.js';
import { parseManifestLine, readManifestBatches } from '../../manifest/read.js';
import type { ManifestRow } from '../../manifest/types.js';
import type { ContentGroups, ManifestJobs } from './join.js';

const DEFERRED_FIELDS = ['text', 'result'] as const;
type DeferredField = (typeof DEFERRED_FIELDS)[number];
const DEFERRED = Object.freeze({ deferred: true });
/** Fields a winner without them takes from another input's line for the same job id (e.g. a webhook row's job). */
const FILLED_FIELDS = ['sha256', 'type', 'mime', 'bytes'] as const;
/** Input files kept open at once to read deferred fields again. */
const OPEN_FILES = 16;

interface LineRef {
  offset: number;
  length: number;
}

/** A job's fold with its deferred fields' lines. */
interface Folded {
  row: ManifestRow;
  refs?: Partial<Record<DeferredField, LineRef>>;
  manifest: number;
  /** Every line of the job, kept for the winner of a shared content: it is folded again from them when written. */
  lines?: LineRef[];
}

/** A content that more than one input holds, until the last of its jobs has been read. */
interface SharedContent {
  remaining: number;
  winnerId: string | undefined;
  sources: string[];
  /** Job ids already written (a loser's id is written once, however many inputs hold it). */
  written?: Set<string>;
  /** The winner's lines, once read, until the content's last job is read. */
  held?: { manifest: number; lines: LineRef[] };
  fill?: Partial<Record<(typeof FILLED_FIELDS)[number], unknown>>;
  visible: number;
}

export interface MergeTotals {
  jobs: number;
  completed: number;
  failed: number;
  skipped: number;
  pending: number;
  /** Contents that visible jobs of more than one input held. */
  shared: number;
  /** Lines written as `superseded` because another input's job won their content. */
  superseded: number;
  /** Lines written. */
  lines: number;
}

/**
 * Reads the inputs again and yields the merged manifest's lines. `replaced[m]` counts input m's jobs that lost.
 * `checkpoint` runs between chunks (it throws to stop).
 */
export async function* mergedLines(inputs: readonly ManifestJobs[], contents: ContentGroups, totals: MergeTotals, replaced: number[], checkpoint: () => void = () => {}): AsyncGenerator<string> {
  const shared = new Map<number, SharedContent>();
  const files = new FileCache(inputs);
  try {
    for (const [m, jobs] of inputs.entries()) {
      const open = new Map<number, Folded>();
      let written = 0;
      for await (const batch of readManifestBatches(jobs.path, { onTail: () => {} })) {
        checkpoint();
        for (const { row, line, offset, length } of batch) {
          if (line > jobs.lines) break; // appended after the first pass read the file
          const slot = jobs.ids.get(row.job_id);
          if (slot === undefined) throw changed(jobs.path);
          let folded = open.get(slot);
          if (!folded) {
            folded = { row: {} as ManifestRow, manifest: m };
            if (isSharedWinner(m, slot)) folded.lines = [];
          }
          folded.lines?.push({ offset, length });
          folded.row = mergeRow(folded.row, lean(row, offset, length, folded));
          if (line !== jobs.lastLine(slot)) {
            open.set(slot, folded);
            continue;
          }
          open.delete(slot);
          written++;
          for (const out of await emit(m, slot, folded)) {
            count(out, totals);
            yield `${JSON.stringify(out)}\n`;
          }
        }
      }
      if (written !== jobs.size) throw changed(jobs.path);
    }
  } finally {
    await files.close();
  }

  function isSharedWinner(m: number, slot: number): boolean {
    const group = inputs[m].groupOf(slot);
    if (contents.members(group) === 1) return false;
    const w = contents.winner(group);
    return w !== null && w.manifest === m && w.slot === slot;
  }

  /** The lines a job's fold becomes: itself, nothing (another input's line for it wins), or its content's winner. */
  async function emit(m: number, slot: number, folded: Folded): Promise<ManifestRow[]> {
    const jobs = inputs[m];
    const group = jobs.groupOf(slot);
    if (contents.members(group) === 1) return [normalised(await files.restore(folded))];
    let content = shared.get(group);
    if (!content) {
      const w = contents.winner(group);
      content = { remaining: contents.members(group), winnerId: w ? inputs[w.manifest].ids.idOf(w.slot) : undefined, sources: [], visible: 0 };
      shared.set(group, content);
    }
    content.remaining--;
    unionSources(content.sources, folded.row);
    const visible = jobs.visible(slot);
    if (visible) content.visible++;
    const w = contents.winner(group);
    const isWinner = w !== null && w.manifest === m && w.slot === slot;
    if (visible && !isWinner) replaced[m]++;
    const out: ManifestRow[] = [];
    if (isWinner) content.held = { manifest: m, lines: folded.lines! };
    else if (folded.row.job_id === content.winnerId) {
      for (const field of FILLED_FIELDS) if (content.fill?.[field] === undefined && isKnown(folded.row[field])) (content.fill ??= {})[field] = folded.row[field];
    } else if (!content.written?.has(folded.row.job_id)) {
      (content.written ??= new Set()).add(folded.row.job_id);
      const row = normalised(await files.restore(folded));
      if (!isSuperseded(row) && content.winnerId !== undefined) {
        row.status = 'superseded';
        row.superseded_by = content.winnerId;
        totals.superseded++;
      }
      out.push(row);
    }
    if (content.remaining > 0) return out;
    shared.delete(group);
    if (content.visible > 1) totals.shared++;
    if (content.held) {
      const row = await files.refold(content.held.manifest, content.held.lines);
      row.sources = unionSources([...(Array.isArray(row.sources) ? row.sources : [])], { source: row.source, sources: content.sources });
      if (!isKnown(row.source) && row.sources.length > 0) row.source = row.sources[0];
      for (const field of FILLED_FIELDS) if (!isKnown(row[field]) && content.fill?.[field] !== undefined) (row as Record<string, unknown>)[field] = content.fill[field];
      out.push(normalised(row));
    }
    return out;
  }
}

function changed(path: string): ManifestError {
  return new ManifestError(`manifest ${path} changed while it was being merged`, 'merge again once no run is writing to it');
}

/** The row to fold: a long line's bulky fields are left in the file, noted in `folded.refs`. */
function lean(row: ManifestRow, offset: number, length: number, folded: Folded): ManifestRow {
  if (length <= DEFER_LINE_BYTES) return row;
  let out = row;
  for (const field of DEFERRED_FIELDS) {
    if (!(field in row)) continue;
    if (out === row) out = { ...row };
    (out as Record<string, unknown>)[field] = DEFERRED;
    folded.refs ??= {};
    folded.refs[field] = { offset, length };
  }
  return out;
}


function isKnown(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '';
}

/** A job replaced in an older manifest (`superseded_by` on a `submitted` line) is written with today's status. */
function normalised(row: ManifestRow): ManifestRow {
  if (isSuperseded(row) && row.status !== 'superseded') row.status = 'superseded';
  return row;
}

function count(row: ManifestRow, totals: MergeTotals): void {
  totals.lines++;
  switch (row.status) {
    case 'superseded':
      return;
    case 'completed':
      totals.completed++;
      break;
    case 'failed':
      totals.failed++;
      break;
    case 'skipped':
      totals.skipped++;
      break;
    case 'submitted':
    case 'processing':
      totals.pending++;
      break;
    default:
      break;
  }
  totals.jobs++;
}

/** Reads deferred fields back from their input, keeping a few inputs open. */
class FileCache {
  private readonly handles = new Map<number, FileHandle>();

  constructor(private readonly inputs: readonly ManifestJobs[]) {}

  async restore(folded: Folded): Promise<ManifestRow> {
    const { row, refs } = folded;
    if (!refs) return row;
    const lines = new Map<number, Record<string, unknown>>();
    for (const field of DEFERRED_FIELDS) {
      const ref = refs[field];
      if (!ref || row[field] !== DEFERRED) continue;
      let line = lines.get(ref.offset);
      if (!line) {
        line = await this.readLine(folded.manifest, ref);
        lines.set(ref.offset, line);
      }
      (row as Record<string, unknown>)[field] = line[field];
    }
    return row;
  }

  /** A job folded again from its lines. */
  async refold(manifest: number, lines: readonly LineRef[]): Promise<ManifestRow> {
    let row: ManifestRow | undefined;
    for (const ref of lines) row = mergeRow(row, (await this.readLine(manifest, ref)) as ManifestRow);
    return row!;
  }

  private async readLine(manifest: number, ref: LineRef): Promise<Record<string, unknown>> {
    const path = this.inputs[manifest].path;
    let handle = this.handles.get(manifest);
    if (handle) this.handles.delete(manifest); // re-inserted below: the Map's order is the least recently used first
    else {
      if (this.handles.size >= OPEN_FILES) {
        const [oldest, old] = this.handles.entries().next().value as [number, FileHandle];
        this.handles.delete(oldest);
        await old.close();
      }
      handle = await open(path, 'r');
    }
    this.handles.set(manifest, handle);
    const buffer = Buffer.alloc(ref.length);
    const { bytesRead } = await handle.read(buffer, 0, ref.length, ref.offset);
    const parsed = bytesRead === ref.length ? parseManifestLine(buffer.toString('utf8').replace(/^\uFEFF/, '')) : null;
    if (!parsed || 'invalid' in parsed) throw changed(path);
    return parsed;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) await handle.close().catch(() => {});
    this.handles.clear();
  }
}
