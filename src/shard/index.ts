/**
 * Shards: `--shard K/N` splits one batch into N disjoint, deterministic parts, so that N machines (a Kubernetes
 * Indexed Job, a CI matrix) can each take one part of the same inputs with no coordination, and `ocrq merge` joins
 * their manifests afterwards (README "Running on many machines").
 *
 * Pure: no file system, no clock, no randomness. The function is public and must never change, because machines
 * running different ocrq versions, or other tools, must agree on it:
 *
 *   key   = the input's path relative to the command-line argument it was found under (see shardKey)
 *   shard = (first 8 bytes of SHA-256(UTF-8 bytes of key), read as an unsigned big-endian 64-bit integer) mod N
 *
 * K counts from 0, as Kubernetes' JOB_COMPLETION_INDEX does: `--shard 0/4` … `--shard 3/4`.
 */
import { hash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** One part of a batch: `index` in 0..count-1. */
export interface Shard {
  index: number;
  count: number;
}

/** Far more shards than any deployment needs; keeps N a small exact integer. */
export const MAX_SHARDS = 1_000_000;

const SHARD_PATTERN = /^(\d+)\/(\d+)$/;

/** A key that shardKey must change: an empty or `.` segment (leading, trailing or doubled `/`), or non-ASCII text. */
const NOT_NORMAL = /(^|\/)\.?(\/|$)|[^\p{ASCII}]/u;

/** Parses `K/N` (K from 0 to N-1). Anything else is a usage error with one line that says what was wrong. */
export function parseShard(text: string): Shard {
  const match = SHARD_PATTERN.exec(text.trim());
  if (!match) {
    throw new UsageError(`--shard ${JSON.stringify(text)}: expected K/N with whole numbers, e.g. 0/4 (K counts from 0)`, 'give the shard as K/N, K from 0 to N-1, e.g. --shard "$JOB_COMPLETION_INDEX/4"');
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`--shard ${text}: N must be at least 1`, 'give the number of shards as N, e.g. --shard 0/4');
  if (count > MAX_SHARDS) throw new UsageError(`--shard ${text}: N must be at most ${MAX_SHARDS}`, 'use fewer shards');
  if (index >= count) {
    throw new UsageError(`--shard ${text}: K must be below N (K counts from 0: the shards of ${count} are 0/${count} to ${count - 1}/${count})`, `use --shard ${count - 1}/${count} for the last one`);
  }
  return { index, count };
}

/**
 * The shard key of an input from its path relative to the command-line argument it was found under (for a folder
 * argument, the path below the folder; for a file argument, its base name; for a glob, the path below the folder
 * part before the first wildcard). A ZIP archive's entries stay with the archive: their key is the archive's own.
 *
 * Normalised so that machines that mount the same share at different places, or write the argument differently
 * (`docs`, `./docs/`, `/mnt/share/docs`), agree: `/` separators (on Windows `\` becomes `/`), no empty or `.`
 * segments, and Unicode NFC (macOS file systems hand out decomposed names). Case is kept: `A.pdf` and `a.pdf` are
 * two files on most systems.
 */
export function shardKey(relativePath: string, separator: string = path.sep): string {
  const slashed = separator === '\\' ? relativePath.replaceAll('\\', '/') : relativePath;
  // Already normal (what the walk builds from listed names, in ASCII): no empty or `.` segment, nothing to compose.
  if (!NOT_NORMAL.test(slashed)) return slashed;
  return slashed
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/')
    .normalize('NFC');
}

/** The shard (0..count-1) of a key: the first 8 bytes of its SHA-256, as an unsigned 64-bit integer, mod count. */
export function shardOf(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a whole number of at least 1, not ${count}`);
  if (count === 1) return 0;
  // One-shot hashing: a shard decides every listed file of a batch, and a Hash object per key costs several times more.
  const digest = hash('sha256', key, 'buffer');
  if (count > MAX_SHARDS) return Number(digest.readBigUInt64BE(0) % BigInt(count));
  // (high × 2^32 + low) mod count in exact doubles, without BigInt: each product is below count² ≤ 10^12 < 2^53.
  const high = digest.readUInt32BE(0) % count;
  const low = digest.readUInt32BE(4) % count;
  return (high * (2 ** 32 % count) + low) % count;
}

/** True when the input with this relative path belongs to `shard`. */
export function inShard(relativePath: string, shard: Shard): boolean {
  return shardOf(shardKey(relativePath), shard.count) === shard.index;
}
