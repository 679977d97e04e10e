/**
 * `listen --until-done MANIFEST`: the jobs of that manifest still waiting for a result, and when none is left.
 * A job is done once it is completed or failed (or skipped) either in the listener's own manifest or in MANIFEST,
 * which another process may still be updating (a polling submit): it is read again at most every `rereadMs`.
 */
import { isIntentId } from '../manifest/intents.js';
import { ResumeIndex } from '../manifest/resume-index.js';
import { TERMINAL_STATUSES } from '../manifest/types.js';

export const UNTIL_DONE_REREAD_MS = 2_000;

export class PendingJobs {
  private lastRead: number;

  private constructor(
    private readonly pending: Set<string>,
    private readonly own: ResumeIndex,
    /** Null when MANIFEST is the listener's own manifest: its index is always current. */
    private readonly other: string | null,
    private readonly now: () => number,
    private readonly rereadMs: number,
  ) {
    this.lastRead = now();
  }

  /** `other` is MANIFEST's path when it is not the listener's own manifest (whose index is `own`). */
  static async open(own: ResumeIndex, other: string | null, now: () => number, rereadMs = UNTIL_DONE_REREAD_MS): Promise<PendingJobs> {
    const index = other === null ? own : await readIndex(other);
    const pending = new Set<string>();
    for (const [jobId, entry] of index.visible()) if (!TERMINAL_STATUSES.has(entry.status)) pending.add(jobId);
    return new PendingJobs(pending, own, other, now, rereadMs);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Jobs whose submit was never answered with a provider job id: no delivery can ever name them. */
  get unresolved(): number {
    return [...this.pending].filter(isIntentId).length;
  }

  /** Drops the jobs that are done now; true when none is left. A re-read that fails is reported and retried later. */
  async settle(onWarning: (message: string) => void = () => {}): Promise<boolean> {
    this.drop(this.own);
    if (this.other !== null && this.pending.size > 0 && this.now() - this.lastRead >= this.rereadMs) {
      this.lastRead = this.now();
      try {
        this.drop(await readIndex(this.other));
      } catch (error) {
        onWarning(`--until-done: cannot read ${this.other} again: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return this.pending.size === 0;
  }

  private drop(index: ResumeIndex): void {
    for (const jobId of this.pending) {
      const entry = index.get(jobId);
      if (entry && TERMINAL_STATUSES.has(entry.status)) this.pending.delete(jobId);
    }
  }
}

function readIndex(path: string): Promise<ResumeIndex> {
  // Another process may be appending: a torn last line is its row in progress, not damage.
  return ResumeIndex.load(path, { onTail: () => {} });
}
