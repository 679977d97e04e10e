/**
 * The manifests `ocrq merge` reads: files, folders (their `*.jsonl` files, not hidden ones, not recursively) and
 * quoted globs, in the order given, a folder's or glob's in natural name order (`shard-2` before `shard-10`). The
 * same file named twice is read once.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';

export interface MergeInput {
  /** As the user named it (a folder's entries joined to the folder). */
  display: string;
  path: string;
}

const byName = new Intl.Collator('en', { numeric: true }).compare;

export async function resolveInputs(args: readonly string[], cwd: string): Promise<MergeInput[]> {
  if (args.length === 0) throw new UsageError('no manifests given', 'name the manifests to merge: files, a folder of them, or a quoted glob such as "manifests/*.jsonl"');
  const found: MergeInput[] = [];
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    const stats = await fs.stat(abs).catch(() => null);
    if (stats?.isDirectory()) {
      const names = (await fs.readdir(abs, { withFileTypes: true }))
        .filter((e) => !e.name.startsWith('.') && e.name.endsWith('.jsonl') && (e.isFile() || e.isSymbolicLink()))
        .map((e) => e.name)
        .sort(byName);
      if (names.length === 0) throw new UsageError(`${arg}: the folder holds no .jsonl manifest`, 'name the manifests, or the folder that holds them');
      for (const name of names) found.push({ display: path.join(arg, name), path: path.join(abs, name) });
    } else if (stats) {
      found.push({ display: arg, path: abs });
    } else {
      const { default: fg } = await import('fast-glob');
      if (!fg.isDynamicPattern(arg)) throw new UsageError(`${arg}: no such file or directory`, 'check the path; quote globs so ocrq expands them');
      const matches = (await fg(arg, { cwd, onlyFiles: true, dot: false })).sort(byName);
      if (matches.length === 0) throw new UsageError(`${arg}: no file matches this pattern`, 'check the pattern');
      for (const match of matches) found.push({ display: match, path: path.resolve(cwd, match) });
    }
  }
  const seen = new Set<string>();
  const inputs: MergeInput[] = [];
  for (const input of found) {
    const stats = await fs.stat(input.path).catch(() => null);
    const id = stats ? `${stats.dev}:${stats.ino}` : input.path;
    if (seen.has(id)) continue;
    seen.add(id);
    inputs.push(input);
  }
  return inputs;
}

/** Refuses an output that is one of the inputs (by path, or the same file under another name). */
export async function refuseInputAsOutput(inputs: readonly MergeInput[], output: string, flag: string, shown: string): Promise<void> {
  const outStats = await fs.stat(output).catch(() => null);
  for (const input of inputs) {
    let same = input.path === output;
    if (!same && outStats) {
      const stats = await fs.stat(input.path).catch(() => null);
      same = stats !== null && stats.dev === outStats.dev && stats.ino === outStats.ino;
    }
    if (same) throw new UsageError(`${flag} ${shown} is one of the manifests being merged (${input.display}); refusing to overwrite it`, `give ${flag} a file that is not an input (and outside a folder of manifests given as input)`);
  }
}
