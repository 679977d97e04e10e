import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countInputs } from '../../src/walk/count.js';
import { walkInputs, type WalkOptions } from '../../src/walk/walk.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import { FIXTURES, makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = '%PDF-1.4\n% test\n';

type Options = Partial<WalkOptions> & { cwd: string };

const base = (opts: Options): WalkOptions => ({ include: [], exclude: [], maxFileSize: 50 * 1024 * 1024, zipLimits: DEFAULT_ZIP_LIMITS, ...opts });

async function walked(args: string[], opts: Options): Promise<number> {
  let n = 0;
  for await (const item of walkInputs(args, base(opts))) if (item) n++;
  return n;
}

async function counted(args: string[], opts: Options, signal = new AbortController().signal, seen: number[] = []): Promise<number | null> {
  return countInputs(args, { ...base(opts), signal }, (n) => seen.push(n));
}

/** A folder with most of what the walk meets: nested folders, links of every kind, a FIFO, archives. */
async function mixedTree(dir: string): Promise<void> {
  await writeTree(dir, {
    'root/a.pdf': PDF,
    'root/notes.txt': 'x',
    'root/sub/b.pdf': PDF,
    'root/sub/deeper/c.PDF': PDF,
    'root/skip/d.pdf': PDF,
    'root/.hidden/e.pdf': PDF,
    'outside/secret.pdf': PDF,
    'loose.pdf': PDF,
  });
  await fs.symlink('..', path.join(dir, 'root/sub/loop'));
  await fs.symlink('sub', path.join(dir, 'root/alias'));
  await fs.symlink('a.pdf', path.join(dir, 'root/link.pdf'));
  await fs.symlink(path.join(dir, 'outside/secret.pdf'), path.join(dir, 'root/out.pdf'));
  await fs.symlink('nowhere.pdf', path.join(dir, 'root/dangling.pdf'));
  execFileSync('mkfifo', [path.join(dir, 'root/pipe.pdf')]);
  await fs.copyFile(path.join(FIXTURES, 'archive.zip'), path.join(dir, 'root/batch.zip'));
  for (const name of ['traversal', 'many-entries', 'not-a-zip', 'bad-crc', 'truncated', 'encrypted', 'symlink']) {
    await fs.copyFile(path.join(FIXTURES, `hostile/${name}.zip`), path.join(dir, `root/sub/${name}.zip`));
  }
}

describe('countInputs', () => {
  it.each([
    ['a folder', ['root'], {}],
    ['with --include and --exclude', ['root'], { include: ['*.pdf'], exclude: ['skip'] }],
    ['files, a glob and a missing path', ['loose.pdf', 'root/*.pdf', 'root/sub/*.zip', 'missing.pdf', 'root/pipe.pdf'], {}],
    ['the folder given as ./root/', ['./root/'], { exclude: ['deeper'] }],
  ] as const)('counts what the walk yields: %s', async (_name, args, filters) => {
    const dir = await makeTempDir();
    await mixedTree(dir);
    const opts = { cwd: dir, ...filters } as Options;
    const expected = await walked([...args], opts);
    expect(expected).toBeGreaterThan(3);
    expect(await counted([...args], opts)).toBe(expected);
  });

  it('counts an archive by name, from its central directory; one nested in it counts as one until the walk opens it', async () => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'hostile/too-deep.zip'), path.join(dir, 'deep.zip'));
    await fs.copyFile(path.join(FIXTURES, 'archive.zip'), path.join(dir, 'archive-without-its-name'));
    expect(await walked(['deep.zip'], { cwd: dir })).toBe(2);
    expect(await counted(['deep.zip'], { cwd: dir })).toBe(1);
    // Recognised by its first bytes by the walk; by its name only here.
    expect(await walked(['archive-without-its-name'], { cwd: dir })).toBe(4);
    expect(await counted(['archive-without-its-name'], { cwd: dir })).toBe(1);
  });

  it('reports the count as it grows, and the final count last', async () => {
    const dir = await makeTempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`big/${i % 30}/f${i}.pdf`] = PDF;
    await writeTree(dir, files);
    const seen: number[] = [];
    expect(await counted(['big'], { cwd: dir }, new AbortController().signal, seen)).toBe(3000);
    expect(seen.at(-1)).toBe(3000);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('cannot count paths read from standard input ahead: null, and the walk counts them', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF });
    expect(await counted(['a.pdf', '-'], { cwd: dir, stdin: Readable.from(['a.pdf\n']) })).toBeNull();
    expect(await counted(['a.pdf', '-'], { cwd: dir })).toBe(1);
  });

  it('stops when aborted, with no count', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a/b.pdf': PDF, 'a/c/d.pdf': PDF });
    const stop = new AbortController();
    const pending = counted(['a'], { cwd: dir }, stop.signal);
    stop.abort();
    expect(await pending).toBeNull();
  });
});
