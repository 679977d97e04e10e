import fs from 'node:fs/promises';
import type { ManifestRow } from '../../src/manifest/types.js';

/** Raw manifest lines, parsed; throws on any line that is not JSON (a torn or interleaved line). */
export async function readRows(file: string): Promise<ManifestRow[]> {
  const text = await fs.readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ManifestRow);
}

/** The folded view, by job id (later lines update earlier ones; sources accumulate; superseded jobs left out). */
export function fold(rows: ManifestRow[]): Map<string, ManifestRow> {
  const out = new Map<string, ManifestRow>();
  for (const row of rows) {
    const prev = out.get(row.job_id);
    const sources = [...(prev?.sources ?? [])];
    for (const s of [row.source, ...(row.sources ?? [])]) if (s && !sources.includes(s)) sources.push(s);
    out.set(row.job_id, { ...prev, ...row, source: prev?.source ?? row.source, sha256: row.sha256 ?? prev?.sha256 ?? null, sources });
  }
  // Jobs replaced by another (a resolved intent, a retried failure) are not part of the view.
  for (const [id, row] of out) if (typeof row.superseded_by === 'string' && row.superseded_by) out.delete(id);
  return out;
}

/** The folded row whose sources include `source`. */
export function rowFor(folded: Map<string, ManifestRow>, source: string): ManifestRow | undefined {
  for (const row of folded.values()) if (row.sources?.includes(source) || row.source === source) return row;
  return undefined;
}
