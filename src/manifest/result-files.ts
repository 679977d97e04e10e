/**
 * Names of the files `--results-dir` holds for a job. Job ids of remote jobs are chosen by the provider, so they never
 * become paths as they are: a name keeps only letters, digits, `.`, `_` and `-`, and an id that had anything else
 * (or is very long, or starts with a dot) gets a hash of the whole id so that two ids never share a name.
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
