/**
 * The join of `ocrq merge`, first pass: what each input manifest holds, in columns (as the resume index keeps them,
 * a few bytes a job), and which job wins each content.
 *
 * A content is the target and the SHA-256 (its first 128 bits, as in content-made job ids and the resume index): the
 * same document OCRed by two targets is two jobs, in one manifest as in a merge. A job whose lines carry no hash (a
 * webhook row for a job the manifest never saw) is joined by its job id, and with the content of the same job id
 * where another input knows it.
 *
 * The winner of a content is its best visible job (superseded ones never win): completed, then skipped, then
 * failed, then pending (submitted, processing); between equals, the one that reached its status first; then the
 * earlier input and line.
 */
import { JobIdTable } from '../../manifest/compact.js';
import { isSuperseded } from '../../manifest/intents.js';
import type { ManifestRow } from '../../manifest/types.js';

const STATUS_CODES = new Map<string, number>([
  ['submitted', 1],
  ['processing', 2],
  ['completed', 3],
  ['failed', 4],
  ['skipped', 5],
  ['superseded', 6],
]);
const OTHER_STATUS = 7;
const STATUS_MASK = 0x7f;
const SUPERSEDED = 0x80;
const INITIAL_SLOTS = 1024;

/** Outcome ranks by status code (index): what a content's one job should be, best first. */
const RANK_OF_CODE = [0, 1, 1, 4, 2, 3, 0, 0];

/** How good an outcome is when two inputs hold the same content: completed 4, skipped 3, failed 2, pending 1. */
export function outcomeRank(status: string): number {
  return RANK_OF_CODE[STATUS_CODES.get(status) ?? OTHER_STATUS];
}

/** A visible job competing for its content. */
export interface Candidate {
  rank: number;
  /** When it reached its status (ms since the epoch; Infinity when unknown). */
  since: number;
  manifest: number;
  slot: number;
}

/** True when `a` is the better job for a content than `b`. */
export function beats(a: Candidate, b: Candidate): boolean {
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (a.since !== b.since) return a.since < b.since;
  if (a.manifest !== b.manifest) return a.manifest < b.manifest;
  return a.slot < b.slot;
}

function timeOf(ts: unknown): number {
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
  return Number.isFinite(t) ? t : Infinity;
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T, min: number): T {
  let length = array.length;
  while (length <= min) length *= 2;
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

/** Counts of an input manifest's visible jobs. */
export interface InputCounts {
  jobs: number;
  completed: number;
  failed: number;
  skipped: number;
  pending: number;
}

/** One input manifest's jobs, numbered in the order first written, as columns. */
export class ManifestJobs {
  readonly ids: JobIdTable;
  /** Line number (1-based) of each job's last line: where the second pass has its whole fold. */
  private lastLines: Uint32Array;
  /** Status code, and SUPERSEDED when the job was replaced (a resolved intent, a retried job). */
  private states: Uint8Array;
  /** When the job reached its current status. */
  private sinces: Float64Array;
  /** Group (content) + 1; 0 until a line carries the content's hash. */
  private groups: Uint32Array;
  /** Lines read (the second pass reads no further, even if the file grew meanwhile). */
  lines = 0;
  tornBytes = 0;

  constructor(
    readonly path: string,
    expected = INITIAL_SLOTS,
  ) {
    const slots = Math.max(INITIAL_SLOTS, expected);
    this.ids = new JobIdTable(slots);
    this.lastLines = new Uint32Array(slots);
    this.states = new Uint8Array(slots);
    this.sinces = new Float64Array(slots);
    this.groups = new Uint32Array(slots);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Reflects one line (in file order): the fold's status, when it was reached, and the content once known. */
  update(row: ManifestRow, line: number, contents: ContentGroups): void {
    const slot = this.ids.add(row.job_id);
    if (slot >= this.states.length) {
      this.lastLines = grown(this.lastLines, slot);
      this.states = grown(this.states, slot);
      this.sinces = grown(this.sinces, slot);
      this.groups = grown(this.groups, slot);
    }
    this.lastLines[slot] = line;
    this.lines = line;
    const code = STATUS_CODES.get(row.status) ?? OTHER_STATUS;
    const previous = this.states[slot];
    // Status `superseded`, or (older manifests) a `superseded_by`, which `superseded_by: null` cleared.
    const superseded = row.status === 'superseded' || ('superseded_by' in row ? isSuperseded(row) : (previous & SUPERSEDED) !== 0);
    if ((previous & STATUS_MASK) !== code) this.sinces[slot] = timeOf(row.ts);
    this.states[slot] = code | (superseded ? SUPERSEDED : 0);
    if (this.groups[slot] === 0 && typeof row.sha256 === 'string' && row.sha256 !== '' && typeof row.target === 'string') {
      this.groups[slot] = contents.ofContent(row.target, row.sha256) + 1;
    }
  }

  /** The times are needed only to choose winners. */
  endFirstPass(): void {
    this.sinces = new Float64Array(0);
  }

  lastLine(slot: number): number {
    return this.lastLines[slot];
  }

  groupOf(slot: number): number {
    return this.groups[slot] - 1;
  }

  setGroup(slot: number, group: number): void {
    this.groups[slot] = group + 1;
  }

  visible(slot: number): boolean {
    return (this.states[slot] & SUPERSEDED) === 0;
  }

  candidate(slot: number, manifest: number): Candidate {
    return { rank: RANK_OF_CODE[this.states[slot] & STATUS_MASK], since: this.sinces[slot], manifest, slot };
  }

  /** Once read: jobs without a hash get the group of their job id; returns the counts of the visible jobs. */
  finish(contents: ContentGroups, manifest: number, withoutHash: number[]): InputCounts {
    const counts: InputCounts = { jobs: 0, completed: 0, failed: 0, skipped: 0, pending: 0 };
    for (let slot = 0; slot < this.size; slot++) {
      if (this.groups[slot] === 0) {
        this.groups[slot] = contents.ofJobId(this.ids.idOf(slot)) + 1;
        withoutHash.push(slot);
      }
      const visible = this.visible(slot);
      contents.addMember(this.groups[slot] - 1, visible ? this.candidate(slot, manifest) : null);
      if (!visible) continue;
      counts.jobs++;
      const code = this.states[slot] & STATUS_MASK;
      if (code === 3) counts.completed++;
      else if (code === 4) counts.failed++;
      else if (code === 5) counts.skipped++;
      else if (code === 1 || code === 2) counts.pending++;
    }
    return counts;
  }
}

/**
 * Contents across every input: how many jobs (members) each has, and its winner so far. Keys are made like
 * content-made job ids (`<letters>_<32 hex>`), so the table keeps them in a few words each.
 */
export class ContentGroups {
  private keys: JobIdTable;
  private counts: Uint32Array;
  /** Winner's manifest + 1 (0: no visible member yet), slot, rank and time. */
  private bestManifests: Uint32Array;
  private bestSlots: Uint32Array;
  private bestRanks: Uint8Array;
  private bestSinces: Float64Array;
  private readonly targetPrefixes = new Map<string, string>();

  constructor(expected = INITIAL_SLOTS) {
    const slots = Math.max(INITIAL_SLOTS, expected);
    this.keys = new JobIdTable(slots);
    this.counts = new Uint32Array(slots);
    this.bestManifests = new Uint32Array(slots);
    this.bestSlots = new Uint32Array(slots);
    this.bestRanks = new Uint8Array(slots);
    this.bestSinces = new Float64Array(slots);
  }

  /** The group of a content: the target and the first 128 bits of the hash. */
  ofContent(target: string, sha256: string): number {
    let prefix = this.targetPrefixes.get(target);
    if (prefix === undefined) {
      // `c` and letters: never a prefix that ofJobId makes (those start with `j`).
      let n = this.targetPrefixes.size;
      prefix = 'c';
      do {
        prefix += String.fromCharCode(97 + (n % 26));
        n = Math.floor(n / 26);
      } while (n > 0);
      this.targetPrefixes.set(target, prefix);
    }
    return this.slotOf(`${prefix}_${sha256.slice(0, 32)}`);
  }

  /** The group of a job known by its id only. */
  ofJobId(jobId: string): number {
    return this.slotOf(`j${jobId}`);
  }

  isJobIdGroup(group: number): boolean {
    return this.keys.idOf(group).startsWith('j');
  }

  private slotOf(key: string): number {
    const slot = this.keys.add(key);
    if (slot >= this.counts.length) {
      this.counts = grown(this.counts, slot);
      this.bestManifests = grown(this.bestManifests, slot);
      this.bestSlots = grown(this.bestSlots, slot);
      this.bestRanks = grown(this.bestRanks, slot);
      this.bestSinces = grown(this.bestSinces, slot);
    }
    return slot;
  }

  /**
   * Once every input is read, the keys and the winners' ranks are no longer needed: the second pass finds groups
   * through the inputs' own tables. Their memory goes back before it starts.
   */
  endFirstPass(): void {
    this.keys = new JobIdTable(0);
    this.bestRanks = new Uint8Array(0);
    this.bestSinces = new Float64Array(0);
  }

  /** Counts a member of `group`; a visible one competes to be its winner. */
  addMember(group: number, candidate: Candidate | null): void {
    this.counts[group]++;
    if (candidate) this.offer(group, candidate);
  }

  removeMember(group: number): void {
    this.counts[group]--;
  }

  members(group: number): number {
    return this.counts[group];
  }

  /** The winner's manifest and slot, or null when the group has no visible job. */
  winner(group: number): { manifest: number; slot: number } | null {
    const m = this.bestManifests[group];
    return m === 0 ? null : { manifest: m - 1, slot: this.bestSlots[group] };
  }

  private offer(group: number, c: Candidate): void {
    const m = this.bestManifests[group];
    if (m !== 0) {
      const best: Candidate = { rank: this.bestRanks[group], since: this.bestSinces[group], manifest: m - 1, slot: this.bestSlots[group] };
      if (!beats(c, best)) return;
    }
    this.bestManifests[group] = c.manifest + 1;
    this.bestSlots[group] = c.slot;
    this.bestRanks[group] = c.rank;
    this.bestSinces[group] = c.since;
  }
}

/**
 * Jobs read without a hash (by job id) join the content that another input knows for the same job id, so that a
 * job id is never written twice.
 */
export function joinByJobId(inputs: readonly ManifestJobs[], withoutHash: readonly number[][], contents: ContentGroups): void {
  if (inputs.length < 2) return;
  for (const [m, slots] of withoutHash.entries()) {
    for (const slot of slots) {
      const jobId = inputs[m].ids.idOf(slot);
      for (const [other, jobs] of inputs.entries()) {
        if (other === m) continue;
        const found = jobs.ids.get(jobId);
        if (found === undefined) continue;
        const group = jobs.groupOf(found);
        if (contents.isJobIdGroup(group)) continue;
        contents.removeMember(inputs[m].groupOf(slot));
        inputs[m].setGroup(slot, group);
        contents.addMember(group, inputs[m].visible(slot) ? inputs[m].candidate(slot, m) : null);
        break;
      }
    }
  }
}

/** After the join: what only choosing winners needed is let go. */
export function endFirstPass(inputs: readonly ManifestJobs[], contents: ContentGroups): void {
  for (const jobs of inputs) jobs.endFirstPass();
  contents.endFirstPass();
}
