/**
 * Before a remote submit the journal records an intent: a row whose job id is `intent_…` (the provider's id is not
 * known yet) carrying the idempotency key. When the provider's job id is recorded, the intent's last line has status
 * `superseded` and `superseded_by` that id; a retried job's old id ends the same way, superseded by the new one.
 * Folded views leave superseded jobs out, so an unresolved intent stays visible as a `submitted` job and a retried
 * failure no longer counts. A redo gets an intent id of its own, so that no line ever has to un-supersede one.
 *
 * Manifests written before the `superseded` status ended an intent with `status: submitted` and `superseded_by`,
 * and re-opened one for a redo with `superseded_by: null`: such lines still fold the same way.
 */
export const INTENT_PREFIX = 'intent_';

export function isIntentId(jobId: string): boolean {
  return jobId.startsWith(INTENT_PREFIX);
}

/** True for a folded row that a later job replaced: status `superseded`, or (older manifests) a `superseded_by`. */
export function isSuperseded(row: Record<string, unknown> | { status?: unknown; superseded_by?: unknown }): boolean {
  const { status, superseded_by: by } = row as { status?: unknown; superseded_by?: unknown };
  return status === 'superseded' || (typeof by === 'string' && by !== '');
}

/** A fresh intent id for a redo (`--retry-failed`, `--force`) of content whose earlier job is replaced. */
export function redoIntentId(tag: string, now: number): string {
  return `${INTENT_PREFIX}${tag}_${now.toString(36)}`;
}
