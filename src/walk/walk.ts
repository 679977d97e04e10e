/**
 * Turns the user's arguments into a stream of inputs, in walk order, without ever holding the list of files:
 * directories are read with `opendir` as they are walked, globs are streamed, ZIP archives are expanded entry by
 * entry. Every problem with one input becomes a `skipped` item; the walk itself only throws for bugs.
 *
 * This file is the entry point and dispatches each argument; traverse.ts walks, probe.ts reads what it lists,
 * probe-queue.ts decides where (inline, in probe threads: probe-pool.ts, or overlapped on slow storage), count.ts
 * counts ahead for progress (in a thread of its own: count-thread.ts), symlinks.ts decides which links are followed,
 * errors.ts words what is skipped, found.ts words a walk that finds nothing: a folder or archive argument that holds
 * no file, a glob that matches nothing (traverse.ts), standard input that names no path, and filters that leave
 * nothing of what was found. These are warnings; the run goes on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { escapeForDisplay } from '../output/display.js';
import { codeForFsError, fsErrorText, skipped } from './errors.js';
import { emptyArchiveWarning, emptyFolderWarning, filtersWarning, stdinWarning } from './found.js';
import { Walker, type WalkOptions } from './traverse.js';
import type { InputItem } from './types.js';

export { HEAD_BYTES, PROBE_AHEAD, READ_WHOLE_BYTES, SLOW_PROBE_MS } from './probe.js';
export type { WalkOptions } from './traverse.js';

export function hasGlobChars(arg: string): boolean {
  return /[*?[\]{}]/.test(arg) || /(^|[^\\])[!@+]\(/.test(arg);
}

/** The inputs one by one (see walkBatches). */
export async function* walkInputs(args: string[], options: WalkOptions): AsyncGenerator<InputItem> {
  for await (const batch of walkBatches(args, options)) yield* batch;
}

/**
 * The inputs in walk order, in arrays: the files of a probe batch come together, so that a walk of a million files
 * passes its consumer thousands of values rather than a million (each costs promises at every generator on its way).
 */
export async function* walkBatches(args: string[], options: WalkOptions): AsyncGenerator<InputItem[]> {
  const walker = new Walker(options);
  const count = { yielded: 0 };
  try {
    for (const arg of args) {
      if (arg === '-') {
        if (!options.stdin) continue;
        const lines = readline.createInterface({ input: options.stdin, crlfDelay: Infinity });
        let named = 0;
        for await (const line of lines) {
          const p = line.trim() === '' ? '' : line.replace(/\r$/, '');
          if (!p) continue;
          named++;
          yield* walkArg(walker, p, count);
        }
        if (named === 0) options.onWarning?.(stdinWarning());
        continue;
      }
      yield* walkArg(walker, arg, count);
    }
  } finally {
    await walker.close();
  }
  const found = walker.found;
  if (count.yielded === 0 && found.filtered > 0) options.onWarning?.(filtersWarning(found, options.include, options.exclude));
}

/**
 * One argument: a file, a folder, or (when no such path exists) a glob. With --shard, a file argument (or one that is
 * missing) is keyed by its base name; a folder's and a glob's files by their paths below it (shard-select.ts).
 */
async function* walkArg(walker: Walker, arg: string, count: { yielded: number }): AsyncGenerator<InputItem[]> {
  const before = { yielded: count.yielded, met: walker.found.met };
  const found: { kind?: 'folder' | 'file' } = {};
  // One generator between the walk and its consumer per argument: each level costs every item a few promises.
  for await (const batch of await dispatch(walker, arg, found)) {
    count.yielded += batch.length;
    yield batch;
  }
  // Nothing at all under the argument: filters had nothing to leave out either. Globs warn for themselves.
  if (found.kind && count.yielded === before.yielded && walker.found.met === before.met) {
    walker.warn(found.kind === 'folder' ? emptyFolderWarning(arg) : emptyArchiveWarning(arg));
  }
}

/**
 * The items of one argument. `found.kind` says what the argument turned out to be: a folder, or a file (an archive,
 * should it hold nothing).
 */
async function dispatch(walker: Walker, arg: string, found: { kind?: 'folder' | 'file' }): Promise<AsyncIterable<InputItem[]> | InputItem[][]> {
  let st;
  try {
    st = await fs.stat(walker.abs(arg));
  } catch (err) {
    if (hasGlobChars(arg)) return walker.walkGlob(arg);
    return walker.takes(path.basename(arg)) ? [[skipped(arg, codeForFsError(err), `${escapeForDisplay(arg)}: ${fsErrorText(err)}`)]] : [];
  }
  if (st.isDirectory()) {
    found.kind = 'folder';
    return walker.walkDir(arg, await fs.realpath(walker.abs(arg)));
  }
  if (!walker.takes(path.basename(arg))) return [];
  found.kind = 'file';
  return walker.walkFile(arg, path.basename(arg), st);
}
