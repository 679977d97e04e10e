/**
 * Shard assignment is a public function (README "Running on many machines"): machines running different versions,
 * or other tools, must agree on it. Properties over random trees of relative paths, for N from 1 to 7:
 * - every key is in exactly one shard, whatever the order the paths are listed in;
 * - machines that mount the share at different places, or name the argument differently, agree;
 * - 10,000 keys spread evenly (largest shard / mean under 1.1).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/lib/prng.mjs';
import { UsageError } from '../../src/errors.js';
import { inShard, parseShard, shardKey, shardOf } from '../../src/shard/index.js';

const NAME_PARTS = ['scan', 'Invoice 01', 'über', 'cafe\u0301', 'café', '東京', '📄', 'a!b', '#1', '.hidden', '...', 'x'.repeat(40), 'Q3 (final)', "it's", '-dash', 'tab\there'];
const EXTENSIONS = ['.pdf', '.png', '.zip', '.tif', '', '.PDF'];

/** A random tree of relative paths: nested folders, odd names, Unicode (composed and decomposed), duplicates. */
function randomTree(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const folders: string[] = [''];
  const paths: string[] = [];
  while (paths.length < count) {
    const r = random();
    if (r < 0.15) {
      const parent = pick(folders);
      folders.push(parent ? `${parent}/${pick(NAME_PARTS)}${folders.length}` : `${pick(NAME_PARTS)}${folders.length}`);
    } else if (r < 0.2 && paths.length > 0) {
      paths.push(pick(paths)); // the same input listed twice
    } else {
      const folder = pick(folders);
      const name = `${pick(NAME_PARTS)}-${paths.length}${pick(EXTENSIONS)}`;
      paths.push(folder ? `${folder}/${name}` : name);
    }
  }
  return paths;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Each shard's keys, as sorted lists (for comparing partitions made from differently ordered listings). */
function partition(paths: readonly string[], n: number): string[][] {
  const shards: Array<Set<string>> = Array.from({ length: n }, () => new Set());
  for (const p of paths) shards[shardOf(shardKey(p), n)].add(shardKey(p));
  return shards.map((s) => [...s].sort());
}

/** The README's function, written independently: first 16 hex digits of the SHA-256 as a number, mod N. */
function reference(key: string, n: number): number {
  return Number(BigInt(`0x${createHash('sha256').update(Buffer.from(key, 'utf8')).digest('hex').slice(0, 16)}`) % BigInt(n));
}

describe('parseShard', () => {
  it('reads K/N with K counting from 0', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 2/7 ')).toEqual({ index: 2, count: 7 });
  });

  it.each([
    ['3/3', /--shard 3\/3: K must be below N \(K counts from 0: the shards of 3 are 0\/3 to 2\/3\)/],
    ['4/3', /K must be below N/],
    ['0/0', /--shard 0\/0: N must be at least 1/],
    ['a/b', /--shard "a\/b": expected K\/N with whole numbers/],
    ['1', /expected K\/N/],
    ['/4', /expected K\/N/],
    ['-1/4', /expected K\/N/],
    ['1.5/4', /expected K\/N/],
    ['', /expected K\/N/],
    ['0/2000000', /N must be at most 1000000/],
  ])('refuses %j with one line that says why', (text, message) => {
    let error: unknown;
    try {
      parseShard(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('shardKey', () => {
  it('normalises separators, empty and . segments, and Unicode to NFC; keeps case', () => {
    expect(shardKey('./scans//2024/./a.pdf')).toBe('scans/2024/a.pdf');
    expect(shardKey('/scans/a.pdf/')).toBe('scans/a.pdf');
    expect(shardKey('scans\\2024\\a.pdf', '\\')).toBe('scans/2024/a.pdf');
    expect(shardKey('scans\\odd name.pdf', '/')).toBe('scans\\odd name.pdf');
    expect(shardKey('cafe\u0301/e\u0301.png')).toBe('caf\u00e9/\u00e9.png');
    expect(shardKey('A.pdf')).not.toBe(shardKey('a.pdf'));
  });
});

describe('shardKey fast path', () => {
  it('returns what the full normalisation gives, for keys that are already normal and for those that are not', () => {
    const full = (p: string) =>
      p
        .split('/')
        .filter((segment) => segment !== '' && segment !== '.')
        .join('/')
        .normalize('NFC');
    const random = mulberry32(5);
    const parts = ['a', 'b.pdf', '.', '..', '', '.x', 'x.', '...', 'caf\u00e9', 'cafe\u0301', ' ', 'a b', '\t', '~', '\\'];
    for (let i = 0; i < 5000; i++) {
      const segments = Array.from({ length: 1 + Math.floor(random() * 5) }, () => parts[Math.floor(random() * parts.length)]);
      const key = segments.join('/');
      expect(shardKey(key, '/'), JSON.stringify(key)).toBe(full(key));
    }
    for (const key of randomTree(3, 2000)) expect(shardKey(key, '/')).toBe(full(key));
  });
});

describe('shardOf', () => {
  it('is the documented function: the first 8 bytes of SHA-256 as an unsigned 64-bit integer, mod N', () => {
    // Pinned values: a change here breaks every deployment that mixes ocrq versions.
    expect([2, 3, 4, 5, 6, 7].map((n) => shardOf('a.pdf', n))).toEqual([0, 2, 2, 2, 2, 1]);
    expect([2, 3, 4, 5, 6, 7].map((n) => shardOf('scans/2024/invoice 01.pdf', n))).toEqual([0, 2, 2, 4, 2, 6]);
    expect([2, 3, 4, 5, 6, 7].map((n) => shardOf('archive.zip', n))).toEqual([1, 1, 3, 0, 1, 4]);
    expect([2, 3, 4, 5, 6, 7].map((n) => shardOf('\u00fcn\u00efcode/\u00e9.png', n))).toEqual([0, 0, 0, 4, 0, 3]);
    for (const key of randomTree(7, 500)) for (let n = 1; n <= 7; n++) expect(shardOf(shardKey(key), n)).toBe(reference(shardKey(key), n));
  });

  it('agrees with the reference for counts up to MAX_SHARDS and beyond (no rounding in the modulo)', () => {
    const keys = randomTree(11, 300).map((k) => shardKey(k));
    for (const n of [8, 97, 4096, 65_537, 999_983, 1_000_000, 1_000_001, 2 ** 40 + 3]) for (const key of keys) expect(shardOf(key, n), `${key} mod ${n}`).toBe(reference(key, n));
  });

  it('refuses a count that is not a whole number of at least 1', () => {
    expect(() => shardOf('a', 0)).toThrow(RangeError);
    expect(() => shardOf('a', 2.5)).toThrow(RangeError);
  });
});

describe('shard properties over random trees', () => {
  for (let n = 1; n <= 7; n++) {
    it(`N=${n}: every key in exactly one shard, whatever the listing order`, () => {
      for (const seed of [1, 2, 3]) {
        const paths = randomTree(seed * 100 + n, 2000);
        const keys = new Set(paths.map((p) => shardKey(p)));
        const shards = partition(paths, n);
        const seen = new Map<string, number>();
        for (const [index, shard] of shards.entries()) for (const key of shard) {
          expect(seen.has(key), `${key} in shards ${seen.get(key)} and ${index}`).toBe(false);
          seen.set(key, index);
        }
        expect(seen.size).toBe(keys.size);
        // What each machine selects with --shard K/N, from its own listing order, adds up to the same partition.
        const selected = Array.from({ length: n }, (_, k) => shuffled(paths, seed + k).filter((p) => inShard(p, { index: k, count: n })).map((p) => shardKey(p)));
        expect(selected.map((s) => [...new Set(s)].sort())).toEqual(shards);
        expect(partition(shuffled(paths, seed * 7), n)).toEqual(shards);
        expect(partition([...paths].reverse(), n)).toEqual(shards);
      }
    });
  }

  it('machines mounting the share at different places, or naming the argument differently, agree', () => {
    const paths = randomTree(42, 1000);
    // The same tree under three mount points, the argument written three ways.
    const mounts = [
      { root: '/mnt/share/batch', arg: '/mnt/share/batch' },
      { root: '/data/in', arg: '/data/in/' },
      { root: '/home/ci/work/batch', arg: '../batch/.' },
    ];
    for (let n = 2; n <= 7; n++) {
      const keysPerMount = mounts.map(({ root, arg }) => paths.map((p) => shardKey(path.posix.relative(path.posix.resolve(root, arg), path.posix.join(root, p)))));
      const assignments = keysPerMount.map((keys) => keys.map((k) => shardOf(k, n)));
      expect(assignments[1]).toEqual(assignments[0]);
      expect(assignments[2]).toEqual(assignments[0]);
    }
    // A decomposed name (as macOS lists it) lands where the composed one does.
    for (let n = 2; n <= 7; n++) expect(shardOf(shardKey('Cafe\u0301/Re\u0301sume\u0301.pdf'), n)).toBe(shardOf(shardKey('Caf\u00e9/R\u00e9sum\u00e9.pdf'), n));
  });

  it('balance: 10,000 random keys, largest shard / mean under 1.1 for N = 2..7', () => {
    const random = mulberry32(2024);
    const keys = new Set<string>();
    while (keys.size < 10_000) keys.add(shardKey(`batch-${Math.floor(random() * 1e9)}/${Math.floor(random() * 1e6)}/page ${keys.size}.pdf`));
    const table: string[] = [];
    for (let n = 2; n <= 7; n++) {
      const sizes = new Array<number>(n).fill(0);
      for (const key of keys) sizes[shardOf(key, n)]++;
      const ratio = Math.max(...sizes) / (keys.size / n);
      table.push(`N=${n}: ${sizes.join(' ')} (largest/mean ${ratio.toFixed(3)})`);
      expect(ratio, table.at(-1)).toBeLessThan(1.1);
      expect(Math.min(...sizes) / (keys.size / n), table.at(-1)).toBeGreaterThan(0.9);
    }
    if (process.env.OCRQ_SHOW_BALANCE) console.log(table.join('\n'));
  });
});
