import { updateIndex } from './fold.js';
import { readManifest, type ReadOptions } from './read.js';
import type { IndexEntry, ManifestRow } from './types.js';

/**
 * The resume state in memory: what each job's status is (by job id), and which job holds a given content on a given
 * target (remote job ids come from the provider, so resume must find them by content).
 */
export class ResumeIndex extends Map<string, IndexEntry> {
  private readonly byContent = new Map<string, string>();

  /** The index of a manifest read without its lock (dry runs, status, --until-done); the journal builds its own. */
  static async load(path: string, options: ReadOptions = {}): Promise<ResumeIndex> {
    const index = new ResumeIndex();
    for await (const { row } of readManifest(path, options)) index.update(row);
    return index;
  }

  /** Reflects one manifest row, with the same rules as the fold. */
  update(row: ManifestRow): void {
    updateIndex(this, row);
    // The latest job written for a content holds it; a row marking a job superseded never does.
    if (typeof row.sha256 === 'string' && typeof row.target === 'string' && !row.job_id.startsWith('skip_') && !row.superseded_by) {
      this.byContent.set(contentKey(row.target, row.sha256), row.job_id);
    }
  }

  /** The job recorded for this content on this target (an `intent_…` id when only the intent is known). */
  jobForContent(target: string, sha256: string): string | undefined {
    return this.byContent.get(contentKey(target, sha256));
  }

  /** Jobs as the folded views show them (superseded ones left out). */
  *visible(): IterableIterator<[string, IndexEntry]> {
    for (const [jobId, entry] of this) if (!entry.superseded) yield [jobId, entry];
  }
}

export function contentKey(target: string, sha256: string): string {
  return `${target}:${sha256}`;
}
