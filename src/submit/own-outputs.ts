/**
 * What a run writes is never one of its inputs: `ocrq submit .` in the folder that holds the manifest would otherwise
 * meet the manifest, its lock and side files, the CSV and the results folder (and their temporary files) on every run,
 * and record each as a skipped document. They are left out of the walk without a row (README "Filters").
 */
import path from 'node:path';
import { lockPathFor } from '../manifest/lock.js';
import { CORRUPT_SUFFIX } from '../manifest/repair.js';
import type { InputItem } from '../walk/types.js';

export interface OwnOutputs {
  /** The manifest (`--out`), the CSV (`--csv`): absolute paths. */
  files: string[];
  /** `--results-dir`: an absolute path. */
  resultsDir?: string;
}

/** The files a run writes: each output file with its lock and `.corrupt` side file. */
const ownFiles = (outputs: OwnOutputs): string[] => outputs.files.flatMap((file) => [file, lockPathFor(file), file + CORRUPT_SUFFIX]);

/** The absolute paths a run writes: those files, their side files and temporary files, and the results folder. */
export function ownOutputMatcher(outputs: OwnOutputs): (file: string) => boolean {
  const exact = new Set(ownFiles(outputs));
  // Atomic writes go to `.<name>.tmp-<pid>-<hex>` beside the file (manifest/atomic.ts).
  const temps = [...exact].map((own) => ({ dir: path.dirname(own), prefix: `.${path.basename(own)}.tmp-` }));
  const under = outputs.resultsDir ? outputs.resultsDir + path.sep : null;
  // Called for every file of the walk: the common case is a Set lookup and a prefix test.
  return (file) => {
    if (exact.has(file)) return true;
    if (under !== null && (file === outputs.resultsDir || file.startsWith(under))) return true;
    const name = path.basename(file);
    return name.startsWith('.') && temps.some((t) => name.startsWith(t.prefix) && path.dirname(file) === t.dir);
  };
}

/** Results folders hold only these (manifest/result-files.ts), and temporary files, whose names start with a dot. */
const RESULT_FILE = /\.(txt|json)$/;

/** The walk's batches of items without the run's own outputs. ZIP entries (`a.zip!/b.pdf`) are never outputs. */
export async function* withoutOwnOutputs(batches: AsyncIterable<InputItem[]>, cwd: string, outputs: OwnOutputs): AsyncGenerator<InputItem[]> {
  const isOwn = ownOutputMatcher(outputs);
  // Resolving every path of a walk of a million files costs more than the rest of this check: only a file whose base
  // name could be an output's is resolved.
  const names = new Set(ownFiles(outputs).map((file) => path.basename(file)));
  const results = outputs.resultsDir !== undefined;
  const own = (item: InputItem): boolean => {
    const source = item.source;
    const name = source.slice(Math.max(source.lastIndexOf('/'), source.lastIndexOf(path.sep)) + 1);
    const maybe = names.has(name) || name.startsWith('.') || (results && RESULT_FILE.test(name));
    return maybe && !source.includes('!/') && isOwn(path.resolve(cwd, source));
  };
  for await (const batch of batches) {
    // Almost every batch holds none: it is passed on as it is.
    if (!batch.some(own)) yield batch;
    else {
      const kept = batch.filter((item) => !own(item));
      if (kept.length > 0) yield kept;
    }
  }
}
