import type { ManifestRow } from './types.js';

/**
 * Before a remote submit the journal records an intent: a row whose job id is `intent_…` (the provider's id is not
 * known yet) carrying the idempotency key. Once a row with a real job id carries the same key, the intent is
 * resolved and the folded views no longer show it; an unresolved intent stays visible as a `submitted` job.
 */
export const INTENT_PREFIX = 'intent_';

export function isIntentRow(row: Pick<ManifestRow, 'job_id'>): boolean {
  return row.job_id.startsWith(INTENT_PREFIX);
}

/** Tracks which intents a manifest resolved, so views can hide them. */
export class IntentFilter {
  private readonly resolved = new Set<string>();

  note(row: ManifestRow): void {
    if (!isIntentRow(row) && typeof row.idempotency_key === 'string') this.resolved.add(row.idempotency_key);
  }

  /** False for an intent whose job id has been recorded since. */
  shows(row: { job_id: string; idempotency_key?: unknown }): boolean {
    return !(isIntentRow(row) && typeof row.idempotency_key === 'string' && this.resolved.has(row.idempotency_key));
  }
}
