import { stat } from 'node:fs/promises';
import { contentJobId } from '../documents/hash.js';
import { JobIdTable, PathColumn } from './compact.js';
import { errorCodeOf } from './fold.js';
import { isSuperseded } from './intents.js';
import { readManifestBatches, type ReadOptions } from './read.js';
import { settingsOfRow, type ResultSettings } from './settings.js';
import type { IndexEntry, JobStatus, ManifestRow } from './types.js';

/** Status codes kept in one byte per job; a status outside this list (a hand-edited manifest) is kept aside. */
const STATUSES: readonly JobStatus[] = ['submitted', 'processing', 'completed', 'failed', 'skipped', 'superseded'];
const STATUS_CODE = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const OTHER_STATUS = 0x7f;
const SUPERSEDED = 0x80;
const INITIAL_SLOTS = 1024;
const MIN_ROW_BYTES = 200;
const MAX_EXPECTED_JOBS = 64 * 1024 * 1024;
/** Longest error message kept per failed job: enough for the reason, bounded even for a manifest of failures. */
export const ERROR_MESSAGE_CHARS = 300;

/**
 * The resume state in memory: what each job's status is (by job id), and which job holds a given content on a given
 * target (remote job ids come from the provider, so resume must find them by content).
 *
 * It holds every job of the manifest, so it is kept as columns rather than an object per job: a million-row
 * manifest costs the job ids (about 40 bytes each when made from content), one byte of status per job and the
 * first source path of each. Further sources, error codes, failed jobs' messages and idempotency keys are rare and
 * kept in side maps.
 * `get` builds an IndexEntry on demand.
 */
export class ResumeIndex {
  /** job id → slot in the columns below. */
  private readonly slots: JobIdTable;
  /** Status code in the low bits, SUPERSEDED in the high bit. */
  private states: Uint8Array;
  private readonly firstSources: PathColumn;
  private readonly moreSources = new Map<number, string[]>();
  private readonly otherStatuses = new Map<number, string>();
  private readonly errorCodes = new Map<number, string>();
  /** Error messages of failed jobs only (skipped inputs can be many; their summary shows counts, not messages). */
  private readonly errorMessages = new Map<number, string>();
  private readonly idempotencyKeys = new Map<number, string>();
  /** `low_confidence_pages` of the latest outcome, for jobs where it is above 0. */
  private readonly lowConfidencePages = new Map<number, number>();
  /** Attempts that started and never ended, for jobs whose latest status is `processing`. */
  private readonly unfinishedAttempts = new Map<number, number>();
  /** `target:sha256-prefix` → job id, for jobs whose id is not derived from their content. */
  private readonly byContent = new Map<string, string>();
  /** The settings each job's outcome was made with, as an index into `settingsTable` (0: not known). */
  private settingsColumn: Uint16Array;
  /** Distinct settings seen, interned: a manifest rarely holds more than a few. Entry 0 stands for "not known". */
  private readonly settingsTable: Array<ResultSettings | null> = [null];
  private readonly settingsIds = new Map<string, number>();

  /** `expected`: how many jobs to make room for at once (see expectedJobs). */
  constructor(expected = INITIAL_SLOTS) {
    this.slots = new JobIdTable(expected);
    this.states = new Uint8Array(Math.max(INITIAL_SLOTS, expected));
    this.settingsColumn = new Uint16Array(this.states.length);
    this.firstSources = new PathColumn(expected);
  }

  /** The index of a manifest read without its lock (dry runs, status, --until-done); the journal builds its own. */
  static async load(path: string, options: ReadOptions = {}): Promise<ResumeIndex> {
    const index = new ResumeIndex(await expectedJobs(path));
    for await (const batch of readManifestBatches(path, options)) for (const { row } of batch) index.update(row);
    return index;
  }

  get size(): number {
    return this.slots.size;
  }

  has(jobId: string): boolean {
    return this.slots.get(jobId) !== undefined;
  }

  /** Every job id, superseded ones included, in the order first written. */
  *keys(): IterableIterator<string> {
    for (const [jobId] of this.slots.ids()) yield jobId;
  }

  get(jobId: string): IndexEntry | undefined {
    const slot = this.slots.get(jobId);
    return slot === undefined ? undefined : this.entry(slot);
  }

  /**
   * Reflects one manifest row, with the fold's rules: the status is the latest; sources accumulate; the error code
   * and idempotency key are kept until a row replaces them; `superseded_by` marks the job replaced.
   */
  update(row: ManifestRow): void {
    const slot = this.slots.add(row.job_id);
    if (slot === this.states.length) {
      const grown = new Uint8Array(this.states.length * 2);
      grown.set(this.states);
      this.states = grown;
      const settings = new Uint16Array(grown.length);
      settings.set(this.settingsColumn);
      this.settingsColumn = settings;
    }
    const code = STATUS_CODE.get(row.status) ?? OTHER_STATUS;
    if (code === OTHER_STATUS) this.otherStatuses.set(slot, String(row.status));
    else this.otherStatuses.delete(slot);
    // Status `superseded` marks the job replaced; older manifests said so with `superseded_by` alone, and cleared it
    // with `superseded_by: null`.
    const superseded = row.status === 'superseded' || ('superseded_by' in row ? isSuperseded(row) : (this.states[slot] & SUPERSEDED) !== 0);
    this.states[slot] = code | (superseded ? SUPERSEDED : 0);
    this.addSource(slot, row.source);
    if (Array.isArray(row.sources)) for (const source of row.sources) if (source !== row.source) this.addSource(slot, source);
    if ('error' in row) setOrDelete(this.errorCodes, slot, errorCodeOf(row.error));
    if (row.status !== 'failed') this.errorMessages.delete(slot);
    else if ('error' in row) setOrDelete(this.errorMessages, slot, errorMessageOf(row.error));
    // Recorded settings replace earlier ones, as in the fold. A row without them (a webhook delivery, whose job's
    // `submitted` row has them) keeps those known, unless it is a completed row of a manifest older than the field,
    // whose engine result says what they were.
    if ('settings' in row) this.settingsColumn[slot] = this.settingsId(settingsOfRow(row));
    else if ('text' in row || 'error' in row) {
      const derived = settingsOfRow(row);
      if (derived !== null) this.settingsColumn[slot] = this.settingsId(derived);
    }
    if (typeof row.idempotency_key === 'string') this.idempotencyKeys.set(slot, row.idempotency_key);
    // A new outcome (text or error) replaces the previous one's count, as in the fold (fold.ts).
    const low = row.low_confidence_pages;
    if (typeof low === 'number' && low > 0) this.lowConfidencePages.set(slot, low);
    else if ('low_confidence_pages' in row || 'text' in row || 'error' in row) this.lowConfidencePages.delete(slot);
    if (row.status !== 'processing') this.unfinishedAttempts.delete(slot);
    else if (typeof row.unfinished_attempts === 'number') this.unfinishedAttempts.set(slot, row.unfinished_attempts);
    // The latest job written for a content holds it; a row marking a job superseded never does. Local job ids are
    // made from the content, so they need no entry.
    if (typeof row.sha256 === 'string' && typeof row.target === 'string' && !row.job_id.startsWith('skip_') && !row.superseded_by && row.status !== 'superseded') {
      if (row.job_id !== contentJobId(row.target, row.sha256)) this.byContent.set(contentKey(row.target, row.sha256), row.job_id);
    }
  }

  /** The job recorded for this content on this target (an `intent_…` id when only the intent is known). */
  jobForContent(target: string, sha256: string): string | undefined {
    return this.byContent.get(contentKey(target, sha256));
  }

  /** Jobs as the folded views show them (superseded ones left out). */
  *visible(): IterableIterator<[string, IndexEntry]> {
    for (const [jobId, slot] of this.slots.ids()) if ((this.states[slot] & SUPERSEDED) === 0) yield [jobId, this.entry(slot)];
  }

  /** Visible jobs' status, error code and low-confidence pages, without building entries: for counting a whole manifest. */
  *statuses(): IterableIterator<[jobId: string, status: JobStatus, errorCode: string | undefined, lowConfidencePages: number]> {
    for (const [jobId, slot] of this.slots.ids()) {
      const state = this.states[slot];
      if (state & SUPERSEDED) continue;
      yield [jobId, this.statusOf(slot), this.errorCodes.get(slot), this.lowConfidencePages.get(slot) ?? 0];
    }
  }

  private statusOf(slot: number): JobStatus {
    const code = this.states[slot] & ~SUPERSEDED;
    return (code === OTHER_STATUS ? this.otherStatuses.get(slot) : STATUSES[code]) as JobStatus;
  }

  private settingsId(settings: ResultSettings | null): number {
    if (settings === null) return 0;
    const key = JSON.stringify(settings);
    let id = this.settingsIds.get(key);
    if (id === undefined) {
      // Past 65,535 distinct settings, further ones are not known: such results are kept rather than redone.
      if (this.settingsTable.length > 0xffff) return 0;
      id = this.settingsTable.length;
      this.settingsTable.push(settings);
      this.settingsIds.set(key, id);
    }
    return id;
  }

  private addSource(slot: number, source: unknown): void {
    if (typeof source !== 'string' || source === '') return;
    const first = this.firstSources.get(slot);
    if (first === undefined) {
      this.firstSources.set(slot, source);
      return;
    }
    if (first === source) return;
    const more = this.moreSources.get(slot);
    if (!more) this.moreSources.set(slot, [source]);
    else if (!more.includes(source)) more.push(source);
  }

  private entry(slot: number): IndexEntry {
    const state = this.states[slot];
    const first = this.firstSources.get(slot);
    const entry: IndexEntry = {
      status: this.statusOf(slot),
      sources: first === undefined ? [] : [first, ...(this.moreSources.get(slot) ?? [])],
    };
    const errorCode = this.errorCodes.get(slot);
    if (errorCode !== undefined) entry.errorCode = errorCode;
    const errorMessage = this.errorMessages.get(slot);
    if (errorMessage !== undefined) entry.errorMessage = errorMessage;
    const key = this.idempotencyKeys.get(slot);
    if (key !== undefined) entry.idempotencyKey = key;
    const low = this.lowConfidencePages.get(slot);
    if (low !== undefined) entry.lowConfidencePages = low;
    const attempts = this.unfinishedAttempts.get(slot);
    if (attempts !== undefined) entry.unfinishedAttempts = attempts;
    if (state & SUPERSEDED) entry.superseded = true;
    const settings = this.settingsTable[this.settingsColumn[slot]];
    if (settings) entry.settings = settings;
    return entry;
  }
}

/**
 * A generous guess of the jobs in a manifest, from its size: the shortest rows ocrq writes take about 200 bytes.
 * Room made for jobs that never come is address space, not memory, until used.
 */
export async function expectedJobs(path: string): Promise<number> {
  try {
    return Math.min(MAX_EXPECTED_JOBS, Math.ceil((await stat(path)).size / MIN_ROW_BYTES));
  } catch {
    return INITIAL_SLOTS;
  }
}

/** Content identity: the target and the first 128 bits of the SHA-256, as in job ids made from content. */
export function contentKey(target: string, sha256: string): string {
  return `${target}:${sha256.slice(0, 32)}`;
}

/** An error's message as kept for resume: at most ERROR_MESSAGE_CHARS, cut with an ellipsis. */
function errorMessageOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string' || message === '') return undefined;
  if (message.length <= ERROR_MESSAGE_CHARS) return message;
  let cut = ERROR_MESSAGE_CHARS - 1;
  // Never half of a surrogate pair; and a copy, since a slice of a string would keep the whole message alive.
  if (/[\uD800-\uDBFF]/u.test(message[cut - 1])) cut--;
  return Buffer.from(`${message.slice(0, cut)}…`, 'utf8').toString('utf8');
}

function setOrDelete(map: Map<number, string>, slot: number, value: string | undefined): void {
  if (value === undefined) map.delete(slot);
  else map.set(slot, value);
}
