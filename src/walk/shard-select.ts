/**
 * `--shard K/N` in the walk: which inputs this shard takes. Each input is decided by its shard key (src/shard/) as
 * soon as it is listed, before it is opened, probed or read, so a shard reads only its own part; folders are listed
 * by every shard. Refused inputs (a link out of the folder, a pipe, an unreadable folder) are decided the same way, so
 * that manifests merged from all shards count each once.
 *
 * What the key is relative to (README "Running on many machines"): the folder for a folder argument, nothing but the
 * base name for a file argument (or a path read from `-`), the folder part before the first wildcard for a glob. A
 * ZIP archive is one input: its entries come only from the shard that takes the archive.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { inShard, type Shard } from '../shard/index.js';

/** True when `shard` is unset (the whole batch) or the input with this relative path is in it. */
export function selects(shard: Shard | undefined, relativePath: string): boolean {
  return shard === undefined || shard.count === 1 || inShard(relativePath, shard);
}

/** The folder part of a glob before its first wildcard (`in/**\/*.pdf` → `in`, `*.pdf` → ``), escapes removed. */
export function globBase(pattern: string): string {
  return picomatch.scan(pattern, { unescape: true }).base;
}

/**
 * The key of a folder entered through a symbolic link that leads inside the folder argument: the folder's real path
 * below the argument's, so that its files are keyed the same whichever way the walk reached the folder first (a
 * folder is walked once, by the first path listed to it, and listing order differs between machines).
 */
export function realKey(rootReal: string, real: string): string {
  return path.relative(rootReal, real);
}
