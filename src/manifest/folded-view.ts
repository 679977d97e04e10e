/**
 * The folded view of a manifest on disk, one row per job in first-seen order, without holding every job's text
 * in memory: while folding, the bulky fields of long lines (`text`, `result`) are replaced by a reference to
 * their line, which is read again when that job's row is yielded.
 */
import type { FileHandle } from 'node:fs/promises';
import { ManifestError } from '../errors.js';
import { mergeRow } from './fold.js';
import { isSuperseded } from './intents.js';
import { openManifestForReading, parseManifestLine, readManifest, type ReadOptions } from './read.js';
import type { ManifestRow } from './types.js';

/** Lines longer than this have their bulky fields read again later instead of being kept. */
export const DEFER_LINE_BYTES = 4096;
const DEFERRED_FIELDS = ['text', 'result'] as const;
type DeferredField = (typeof DEFERRED_FIELDS)[number];

interface LineRef {
  offset: number;
  length: number;
}

/** Placeholder kept in the folded row, so the field keeps its place in the row's key order. */
const DEFERRED = Object.freeze({ deferred: true });

export async function* readFoldedManifest(path: string, options: ReadOptions = {}): AsyncGenerator<ManifestRow> {
  const folded = new Map<string, ManifestRow>();
  const deferred = new Map<string, Partial<Record<DeferredField, LineRef>>>();
  for await (const { row, offset, length } of readManifest(path, options)) {
    let lean = row;
    if (length > DEFER_LINE_BYTES) {
      for (const field of DEFERRED_FIELDS) {
        if (!(field in row)) continue;
        if (lean === row) lean = { ...row };
        (lean as Record<string, unknown>)[field] = DEFERRED;
        const refs = deferred.get(row.job_id) ?? {};
        refs[field] = { offset, length };
        deferred.set(row.job_id, refs);
      }
    }
    folded.set(row.job_id, mergeRow(folded.get(row.job_id), lean));
  }
  for (const [jobId, row] of folded) if (isSuperseded(row)) folded.delete(jobId);
  if (deferred.size === 0) {
    yield* folded.values();
    return;
  }
  const handle = await openManifestForReading(path);
  try {
    for (const [jobId, row] of folded) {
      folded.delete(jobId); // yielded rows are the caller's: let them go
      const refs = deferred.get(jobId);
      if (refs) await restoreDeferred(path, handle, row, refs);
      yield row;
    }
  } finally {
    await handle.close();
  }
}

async function restoreDeferred(
  path: string,
  handle: FileHandle,
  row: ManifestRow,
  refs: Partial<Record<DeferredField, LineRef>>,
): Promise<void> {
  const lines = new Map<number, Record<string, unknown>>();
  for (const field of DEFERRED_FIELDS) {
    const ref = refs[field];
    if (!ref || row[field] !== DEFERRED) continue;
    let line = lines.get(ref.offset);
    if (!line) {
      line = await readLineAt(path, handle, ref);
      lines.set(ref.offset, line);
    }
    (row as Record<string, unknown>)[field] = line[field];
  }
}

async function readLineAt(path: string, handle: FileHandle, ref: LineRef): Promise<Record<string, unknown>> {
  const buffer = Buffer.alloc(ref.length);
  const { bytesRead } = await handle.read(buffer, 0, ref.length, ref.offset);
  const parsed = bytesRead === ref.length ? parseManifestLine(buffer.toString('utf8').replace(/^\uFEFF/, '')) : null;
  if (!parsed || 'invalid' in parsed) {
    throw new ManifestError(
      `manifest ${path} changed while it was being read`,
      'run the command again once the manifest is no longer being rewritten',
    );
  }
  return parsed;
}
