/**
 * Names of the files `--results-dir` holds, in either layout (`--results-layout`):
 * - `source` (the default): `<dir>/<source>.txt` and `.json` for each source of a completed document, the source as
 *   written (README "Results by source"): relative kept, absolute without its leading `/`, `..` segments as `__`,
 *   `.` and empty segments dropped; a ZIP entry `a.zip!/inner/b.pdf` is `<dir>/a.zip!/inner/b.pdf.txt`.
 * - `job`: `<dir>/<name>.txt` and `.json` per job. Job ids of remote jobs are chosen by the provider, so they never
 *   become paths as they are: a name keeps only letters, digits, `.`, `_` and `-`, and an id that had anything else
 *   (or is very long, or starts with a dot) gets a hash of the whole id so that two ids never share a name.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InternalError } from '../errors.js';

/** Longest base name kept from a job id, before the hash that keeps ids apart. */
const MAX_NAME_CHARS = 80;
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/u;

/** The base name of a job's result files (`<base>.json`, `<base>.txt`). Local job ids are kept as they are. */
export function resultFileBase(jobId: string): string {
  if (SAFE.test(jobId) && jobId.length <= MAX_NAME_CHARS) return jobId;
  // Runs of anything else, `..` included, become one `_`; names start with a letter, a digit or `_`.
  const readable = jobId
    .replace(/[^A-Za-z0-9._-]+|\.{2,}/gu, '_')
    .replace(/_{2,}/gu, '_')
    .replace(/^[._-]+/u, '')
    .slice(0, MAX_NAME_CHARS);
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 16);
  return readable ? `${readable}-${hash}` : hash;
}

/**
 * The paths of a job's result files inside `dir`; throws (a bug) if one could leave it. A name holds no separator, so
 * a file is always directly in `dir`; a symbolic link already standing at that name is replaced, not followed,
 * because files are written to a new temporary name and renamed over it.
 */
export function resultPaths(dir: string, jobId: string): { json: string; txt: string } {
  const root = path.resolve(dir);
  const base = resultFileBase(jobId);
  const json = path.join(root, `${base}.json`);
  const txt = path.join(root, `${base}.txt`);
  for (const file of [json, txt]) {
    if (path.dirname(file) !== root) throw new InternalError(`result file name for job ${JSON.stringify(jobId)} leaves ${root}`);
  }
  return { json, txt };
}

export type ResultsLayout = 'job' | 'source';
/** By source: where people look for a document's text (as OCRmyPDF's sidecar sits by its PDF). */
export const DEFAULT_RESULTS_LAYOUT: ResultsLayout = 'source';

/** The folders below `dir` and the base name (before `.txt`/`.json`) of a source's result files; null for none. */
export function sourceResultSegments(source: string): string[] | null {
  const segments = source
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s) => (s === '..' ? '__' : s));
  return segments.length > 0 ? segments : null;
}

/**
 * The paths of a source's result files inside `dir` (null for a source with no name in it, such as `/`); throws (a
 * bug) if one could leave it. The folders on the way are not checked here: see src/submit/result-writer.ts.
 */
export function sourceResultPaths(dir: string, source: string): { json: string; txt: string; segments: string[] } | null {
  const segments = sourceResultSegments(source);
  if (segments === null) return null;
  const root = path.resolve(dir);
  const base = path.join(root, ...segments);
  if (!base.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) throw new InternalError(`result file for source ${JSON.stringify(source)} leaves ${root}`);
  return { json: `${base}.json`, txt: `${base}.txt`, segments };
}
