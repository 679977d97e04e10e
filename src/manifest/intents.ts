/**
 * Before a remote submit the journal records an intent: a row whose job id is `intent_…` (the provider's id is not
 * known yet) carrying the idempotency key. When the provider's job id is recorded, the intent gets `superseded_by`
 * that id; a retried job's old id gets `superseded_by` the new one. Folded views leave superseded jobs out, so an
 * unresolved intent stays visible as a `submitted` job and a retried failure no longer counts.
 */
export const INTENT_PREFIX = 'intent_';

export function isIntentId(jobId: string): boolean {
  return jobId.startsWith(INTENT_PREFIX);
}

/** True for a folded row (or index entry) that a later job replaced. */
export function isSuperseded(row: Record<string, unknown> | { superseded_by?: unknown }): boolean {
  const by = (row as { superseded_by?: unknown }).superseded_by;
  return typeof by === 'string' && by !== '';
}
