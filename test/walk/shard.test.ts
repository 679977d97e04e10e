/**
 * `--shard K/N` in the real walk (README "Running on many machines"), over random trees on disk: nested folders with
 * odd names, ZIP archives (nested, damaged), copies of one content, text files, links to folders and files inside
 * the tree, links out of it and to nothing, and a pipe. For N from 1 to 7, each shard walked with its own listing
 * order (the file system's listing is shuffled, as machines list a share differently):
 * - every input is in exactly one shard: the shards' inputs are disjoint and together the unsharded walk's;
 * - each input is in the shard the documented function gives for its key, whatever the listing order;
 * - a shard opens only files of its own (a ZIP archive of another shard is never opened).
 */
import { execFileSync } from 'node:child_process';
import fsSync, { type Dir, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../scripts/lib/prng.mjs';
import { buildZip } from '../../scripts/lib/zip-writer.mjs';
import { shardKey, shardOf, type Shard } from '../../src/shard/index.js';
import type { InputItem } from '../../src/walk/types.js';
import { walkInputs, type WalkOptions } from '../../src/walk/walk.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import { makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = (n: number) => `%PDF-1.4\n% document ${n}\n`;
const PNG = (n: number) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`image ${n}`)]);
const NAMES = ['scan', 'Invoice 01', 'über', 'cafe\u0301', 'café', '東京', '📄', 'a!b', '#1', '.hidden', 'Q3 (final)', "it's", '-dash', 'x'.repeat(60), 'a*b?', '[x]'];

/** A random tree under `dir/root`; returns nothing but what is on disk. */
async function randomTree(dir: string, seed: number): Promise<void> {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const folders = [''];
  const files: Record<string, string | Buffer> = {};
  const contents: Array<string | Buffer> = [];
  for (let i = 0; i < 60; i++) {
    const r = random();
    const folder = pick(folders);
    const at = (name: string) => (folder ? `${folder}/${name}` : name);
    if (r < 0.15 && folder.split('/').length < 4) {
      folders.push(at(`${pick(NAMES)} ${i}`));
      continue;
    }
    let content: string | Buffer;
    let name = `${pick(NAMES)}-${i}`;
    if (r < 0.25 && contents.length > 0) {
      content = pick(contents); // a copy of a content met elsewhere
      name += '.pdf';
    } else if (r < 0.35) {
      const inner = [{ name: `inner/${pick(NAMES)}.pdf`, data: PDF(1000 + i) }, { name: 'b.png', data: PNG(i) }];
      if (random() < 0.3) inner.push({ name: 'nested.zip', data: buildZip([{ name: 'deep.pdf', data: PDF(2000 + i) }]) as never });
      content = buildZip(inner);
      name += '.zip';
    } else if (r < 0.38) {
      content = buildZip([{ name: 'cut.pdf', data: PDF(3000 + i).repeat(20) }]).subarray(0, 40); // damaged: ZIP_INVALID
      name += '.zip';
    } else if (r < 0.45) {
      content = `notes ${i}`;
      name += '.txt';
    } else {
      content = random() < 0.5 ? PDF(i) : PNG(i);
      name += random() < 0.5 ? '.pdf' : '';
    }
    contents.push(content);
    files[`root/${at(name)}`] = content;
  }
  files[`root/${pick(folders) || '.'}/damaged.zip`] = buildZip([{ name: 'cut.pdf', data: PDF(-2).repeat(20) }]).subarray(0, 60);
  for (const folder of folders.slice(1)) await fs.mkdir(path.join(dir, 'root', folder), { recursive: true });
  await writeTree(dir, files);
  const root = path.join(dir, 'root');
  // Links: to a folder inside (walked once, by whichever path is listed first), to a file inside, out, to nothing.
  const target = folders.length > 1 ? folders[1 + Math.floor(random() * (folders.length - 1))] : '';
  if (target) await fs.symlink(path.join(root, target), path.join(root, `link to ${path.basename(target)}`));
  const file = Object.keys(files)[0];
  await fs.symlink(path.join(dir, file), path.join(root, pick(folders), 'link to a file.pdf'));
  await fs.mkdir(path.join(dir, 'outside'));
  await fs.writeFile(path.join(dir, 'outside/secret.pdf'), PDF(-1));
  await fs.symlink(path.join(dir, 'outside'), path.join(root, pick(folders), 'out'));
  await fs.symlink('nowhere.pdf', path.join(root, pick(folders), 'dangling.pdf'));
  execFileSync('mkfifo', [path.join(root, pick(folders), 'pipe')]);
  await fs.mkdir(path.join(root, 'empty'), { recursive: true });
}

/** Makes the file system list every folder in an order drawn from `seed`, for both walking modes; undone after each test. */
function shuffleListings(seed: number): void {
  const random = mulberry32(seed);
  const wrap = (entries: Dirent[]): Dir => {
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    let next = 0;
    const read = () => entries[next++] ?? null;
    return { readSync: read, read: async () => read(), closeSync: () => {}, close: async () => {} } as unknown as Dir;
  };
  const openSync = fsSync.opendirSync;
  const listAll = (dir: Dir) => {
    const entries: Dirent[] = [];
    for (let e; (e = dir.readSync()); ) entries.push(e);
    dir.closeSync();
    return entries;
  };
  vi.spyOn(fsSync, 'opendirSync').mockImplementation((p, o) => wrap(listAll(openSync(p, o))));
  vi.spyOn(fs, 'opendir').mockImplementation(async (p, o) => wrap(listAll(openSync(p, o))));
}

/** Every path the walk opens to read (probes, heads, ZIP archives), from now until the test ends. */
function recordOpens(): string[] {
  const opened: string[] = [];
  const { openSync, open } = fsSync;
  const promisesOpen = fs.open;
  vi.spyOn(fsSync, 'openSync').mockImplementation((p, ...rest) => {
    opened.push(String(p));
    return openSync(p, ...(rest as [never]));
  });
  vi.spyOn(fsSync, 'open').mockImplementation(((p: string, ...rest: never[]) => {
    opened.push(String(p));
    return (open as (...a: unknown[]) => void)(p, ...rest);
  }) as never);
  vi.spyOn(fs, 'open').mockImplementation((p, ...rest) => {
    opened.push(String(p));
    return promisesOpen(p, ...(rest as [never]));
  });
  return opened;
}

afterEach(() => {
  vi.restoreAllMocks();
});

async function walk(dir: string, args: string[], options: Partial<WalkOptions> = {}): Promise<InputItem[]> {
  const items: InputItem[] = [];
  const base: WalkOptions = { cwd: dir, include: [], exclude: [], maxFileSize: 1e9, zipLimits: DEFAULT_ZIP_LIMITS };
  for await (const item of walkInputs(args, { ...base, ...options })) items.push(item);
  return items;
}

/**
 * What an input is, whichever path the walk reached it by: its shard key (the path below `root`, through the real
 * folder when a link to a folder led there; a ZIP entry's is its archive's), then any path inside the archive.
 */
function identity(dir: string, source: string): { key: string; id: string } {
  const bang = source.indexOf('!/');
  const outer = bang === -1 ? source : source.slice(0, bang);
  const rootReal = fsSync.realpathSync(path.join(dir, 'root'));
  const folder = fsSync.realpathSync(path.dirname(path.join(dir, outer)));
  const key = shardKey(path.relative(rootReal, path.join(folder, path.basename(outer))));
  return { key, id: bang === -1 ? key : key + source.slice(bang) };
}

const describeItem = (i: InputItem) => `${i.kind}${i.kind === 'skipped' ? `:${i.error.code}` : ''}`;

describe.each([
  ['inline probes (fast storage)', false],
  ['overlapping probes (slow storage)', true],
])('--shard K/N over random trees, %s', (_mode, overlapProbes) => {
  it.each([1, 2, 3])('tree %i: every input in exactly one shard for N = 1..7, by its key, whatever the listing order', async (seed) => {
    const dir = await makeTempDir();
    await randomTree(dir, seed);
    shuffleListings(seed * 1000);
    const whole = await walk(dir, ['root'], { overlapProbes });
    const wholeIds = whole.map((i) => `${identity(dir, i.source).id} ${describeItem(i)}`).sort();
    // The tree has what the test is about: ZIP entries, refused inputs of several kinds, many inputs.
    expect(whole.length).toBeGreaterThan(40);
    expect(whole.some((i) => i.source.includes('.zip!/'))).toBe(true);
    const refused = new Set(whole.flatMap((i) => (i.kind === 'skipped' ? [i.error.code] : [])));
    for (const code of ['SYMLINK_OUTSIDE_ROOT', 'SYMLINK_DANGLING', 'NOT_REGULAR_FILE', 'ZIP_INVALID']) expect(refused, code).toContain(code);
    for (let count = 1; count <= 7; count++) {
      const union: string[] = [];
      for (let index = 0; index < count; index++) {
        const shard: Shard = { index, count };
        vi.restoreAllMocks();
        shuffleListings(seed * 1000 + count * 10 + index); // each shard's machine lists the folders in its own order
        const opened = recordOpens();
        const items = await walk(dir, ['root'], { overlapProbes, shard });
        for (const item of items) {
          const { key, id } = identity(dir, item.source);
          expect(shardOf(key, count), `${item.source} in shard ${index}/${count}`).toBe(index);
          union.push(`${id} ${describeItem(item)}`);
        }
        // Only this shard's files were opened: listing is shared, reading is not.
        for (const file of opened) {
          const rel = path.relative(dir, file);
          expect(shardOf(identity(dir, rel).key, count), `${rel} opened by shard ${index}/${count}`).toBe(index);
        }
      }
      expect(union.sort(), `N = ${count}`).toEqual(wholeIds);
    }
  }, 60_000);
});

describe('--shard keys of arguments other than folders', () => {
  it('a glob keys its files below the folder part before the wildcard, as the folder argument does', async () => {
    const dir = await makeTempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`in/${i % 3 === 0 ? 'sub/' : ''}d${i}.pdf`] = PDF(i);
    await writeTree(dir, files);
    for (const count of [2, 3, 5]) {
      const byGlob: string[] = [];
      const byFolder: string[] = [];
      for (let index = 0; index < count; index++) {
        const glob = await walk(dir, ['./in/**/*.pdf'], { shard: { index, count } });
        const folder = await walk(dir, ['in'], { shard: { index, count } });
        for (const item of glob) expect(shardOf(shardKey(path.relative('in', item.source)), count)).toBe(index);
        expect(glob.map((i) => path.normalize(i.source)).sort()).toEqual(folder.map((i) => i.source).sort());
        byGlob.push(...glob.map((i) => i.source));
        byFolder.push(...folder.map((i) => i.source));
      }
      expect(byFolder.sort()).toEqual(Object.keys(files).sort());
      expect(byGlob).toHaveLength(30);
    }
  });

  it('file arguments and paths from - are keyed by their base names, ZIP archives as a whole, missing ones too', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, {
      'a/one.pdf': PDF(1),
      'b/one.pdf': PDF(2), // the same base name: the same shard, as README warns
      'c/two.pdf': PDF(3),
      'c/batch.zip': buildZip([{ name: 'x.pdf', data: PDF(4) }, { name: 'y.pdf', data: PDF(5) }]),
      'list/three.pdf': PDF(6),
    });
    const args = ['a/one.pdf', 'b/one.pdf', 'c/two.pdf', 'c/batch.zip', 'gone/four.pdf', '-'];
    const stdinText = 'list\nc/two.pdf\n';
    const count = 3;
    const all: string[] = [];
    for (let index = 0; index < count; index++) {
      const items = await walk(dir, args, { shard: { index, count }, stdin: Readable.from([stdinText]) });
      for (const item of items) {
        const outer = item.source.split('!/')[0];
        const key = outer.startsWith('list/') ? 'three.pdf' : path.basename(outer);
        expect(shardOf(key, count), item.source).toBe(index);
        all.push(item.source);
      }
      const names = items.map((i) => i.source);
      expect(names.includes('a/one.pdf')).toBe(names.includes('b/one.pdf'));
      expect(names.includes('c/batch.zip!/x.pdf')).toBe(names.includes('c/batch.zip!/y.pdf'));
    }
    expect(all.sort()).toEqual(['a/one.pdf', 'b/one.pdf', 'c/batch.zip!/x.pdf', 'c/batch.zip!/y.pdf', 'c/two.pdf', 'c/two.pdf', 'gone/four.pdf', 'list/three.pdf']);
  });
});
