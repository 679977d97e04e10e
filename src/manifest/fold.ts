/**
 * The folded view: one row per job_id, without the jobs whose status is `superseded`. ocrq writes lines so that a
 * plain object merge by job_id gives the same rows (see types.ts); the rules below also cover manifests written
 * before that. Later lines update earlier ones field by field, in line order, except:
 * - `sources` is the ordered union of every line's `source` and `sources`;
 * - `source` stays the first one seen;
 * - a null `source` or `sha256` (a line written by someone who did not know them, e.g. the webhook listener)
 *   never erases a known value.
 */
import { isSuperseded } from './intents.js';
import type { ManifestRow } from './types.js';

/** Fields that describe one outcome of a job; replaced together. */
const OUTCOME_FIELDS = ['text', 'error', 'result', 'pages', 'text_path', 'low_confidence_pages'] as const;

/** Merges `row` into `folded` (mutated and returned); starts a new folded row when `folded` is undefined. */
export function mergeRow(folded: ManifestRow | undefined, row: ManifestRow): ManifestRow {
  const target = folded ?? ({} as ManifestRow);
  const known = target as Record<string, unknown>;
  // A line with an outcome (text or error) replaces the previous outcome: a retried failure that completes must
  // not keep the old error, and a forced re-run that fails must not keep the old text.
  if ('text' in row || 'error' in row) for (const key of OUTCOME_FIELDS) delete known[key];
  for (const key of Object.keys(row)) {
    // A parsed "__proto__" key would replace the folded object's prototype on assignment.
    if (key === '__proto__' || key === 'sources') continue;
    const value = row[key];
    if (key === 'source') {
      if (!isPresent(known.source)) known.source = value;
      // Keeps `sources` next to `source` in the folded row's key order.
      if (!('sources' in known)) known.sources = [];
      continue;
    }
    if (key === 'sha256' && (value === null || value === undefined) && isPresent(known.sha256)) continue;
    known[key] = value;
  }
  target.sources = unionSources(Array.isArray(target.sources) ? target.sources : [], row);
  return target;
}

function isPresent(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '';
}

/** Appends the row's `source` and `sources` to `sources` (mutated), skipping ones already there. */
export function unionSources(sources: string[], row: Pick<ManifestRow, 'source' | 'sources'>): string[] {
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value !== '' && !sources.includes(value)) sources.push(value);
  };
  add(row.source);
  if (Array.isArray(row.sources)) row.sources.forEach(add);
  return sources;
}

export async function foldRows(
  rows: AsyncIterable<ManifestRow> | Iterable<ManifestRow>,
): Promise<Map<string, ManifestRow>> {
  const folded = new Map<string, ManifestRow>();
  for await (const row of rows) folded.set(row.job_id, mergeRow(folded.get(row.job_id), row));
  for (const [jobId, row] of folded) if (isSuperseded(row)) folded.delete(jobId);
  return folded;
}

export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}
