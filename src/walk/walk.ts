/**
 * Turns the user's arguments into a stream of inputs, in walk order, without ever holding the list of files:
 * directories are read with `opendir` as they are walked, globs are streamed, ZIP archives are expanded entry by
 * entry. Every problem with one input becomes a `skipped` item; the walk itself only throws for bugs.
 *
 * This file is the entry point and dispatches each argument; traverse.ts walks, probe.ts reads what it lists,
 * symlinks.ts decides which links are followed, errors.ts words what is skipped.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { escapeForDisplay } from '../output/display.js';
import { codeForFsError, fsErrorText, skipped } from './errors.js';
import { Walker, type WalkOptions } from './traverse.js';
import type { InputItem } from './types.js';

export { HEAD_BYTES, PROBE_AHEAD, READ_WHOLE_BYTES, SLOW_PROBE_MS } from './probe.js';
export type { WalkOptions } from './traverse.js';

export function hasGlobChars(arg: string): boolean {
  return /[*?[\]{}]/.test(arg) || /(^|[^\\])[!@+]\(/.test(arg);
}

export async function* walkInputs(args: string[], options: WalkOptions): AsyncGenerator<InputItem> {
  const walker = new Walker(options);
  for (const arg of args) {
    if (arg === '-') {
      if (!options.stdin) continue;
      const lines = readline.createInterface({ input: options.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        const p = line.trim() === '' ? '' : line.replace(/\r$/, '');
        if (p) yield* walkArg(walker, p);
      }
      continue;
    }
    yield* walkArg(walker, arg);
  }
}

/**
 * One argument: a file, a folder, or (when no such path exists) a glob. With --shard, a file argument (or one that is
 * missing) is keyed by its base name; a folder's and a glob's files by their paths below it (shard-select.ts).
 */
async function* walkArg(walker: Walker, arg: string): AsyncGenerator<InputItem> {
  let st;
  try {
    st = await fs.stat(walker.abs(arg));
  } catch (err) {
    if (hasGlobChars(arg)) {
      yield* walker.walkGlob(arg);
      return;
    }
    if (walker.takes(path.basename(arg))) yield skipped(arg, codeForFsError(err), `${escapeForDisplay(arg)}: ${fsErrorText(err)}`);
    return;
  }
  if (st.isDirectory()) {
    const root = await fs.realpath(walker.abs(arg));
    yield* walker.walkDir(arg, root);
  } else if (walker.takes(path.basename(arg))) {
    yield* walker.walkFile(arg, path.basename(arg), st);
  }
}
