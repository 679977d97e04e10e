import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProbePool, SHARED_BATCH_BYTES } from '../../src/walk/probe-pool.js';
import { READ_WHOLE_BYTES, walkInputs, type WalkOptions } from '../../src/walk/walk.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import type { InputItem } from '../../src/walk/types.js';
import { FIXTURES, makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = '%PDF-1.4\n% test\n';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function collect(args: string[], opts: Partial<WalkOptions> & { cwd: string }): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of walkInputs(args, { include: [], exclude: [], maxFileSize: 50 * 1024 * 1024, zipLimits: DEFAULT_ZIP_LIMITS, ...opts })) items.push(item);
  return items;
}

/** Every item as plain data: its kind, source, size or error, and the bytes read() gives. */
async function described(items: InputItem[]) {
  const out = [];
  for (const item of items) {
    if (item.kind === 'skipped') out.push({ kind: item.kind, source: item.source, error: item.error });
    else out.push({ kind: item.kind, source: item.source, size: item.size, content: sha256(await item.read()) });
  }
  return out;
}

/** A tree with more files than a batch in several folders, and everything the walk treats apart among them. */
async function mixedTree(): Promise<string> {
  const dir = await makeTempDir();
  const files: Record<string, string | Buffer> = {};
  for (let d = 0; d < 3; d++) for (let i = 0; i < 150; i++) files[`root/d${d}/f${i}.pdf`] = `${PDF}${d}-${i}`;
  files['root/d1/big.pdf'] = PDF + ' '.repeat(READ_WHOLE_BYTES);
  files['root/d1/empty.pdf'] = '';
  files['root/top.pdf'] = PDF;
  await writeTree(dir, files);
  await fs.copyFile(path.join(FIXTURES, 'archive.zip'), path.join(dir, 'root/d2/batch.zip'));
  execFileSync('mkfifo', [path.join(dir, 'root/d0/pipe-x')]);
  await fs.symlink('nowhere', path.join(dir, 'root/d1/dangling-x'));
  await fs.symlink('../d0/f1.pdf', path.join(dir, 'root/d2/link.pdf'));
  return dir;
}

describe('walkInputs with probe threads', () => {
  it('yields exactly what inline probing yields, in the same order, with the same bytes', async () => {
    const dir = await mixedTree();
    const inline = await collect(['root'], { cwd: dir, probeThreads: 0 });
    const threaded = await collect(['root'], { cwd: dir, probeThreads: 1, probeThreadsAfter: 0 });
    expect(inline.length).toBeGreaterThan(450);
    expect(await described(threaded)).toEqual(await described(inline));
    expect(threaded.find((i) => i.source === 'root/d0/pipe-x')).toMatchObject({ kind: 'skipped', error: { code: 'NOT_REGULAR_FILE' } });
    expect(threaded.some((i) => i.source.startsWith('root/d2/batch.zip!/') && i.kind === 'document')).toBe(true);
  });

  it('hands over the bytes and their SHA-256 read by the thread once; a large file is read in its turn', async () => {
    const dir = await mixedTree();
    const items = await collect(['root'], { cwd: dir, probeThreads: 2, probeThreadsAfter: 0 });
    const small = items.filter((i) => i.kind === 'document' && /\/f\d+\.pdf$/.test(i.source));
    expect(small).toHaveLength(450);
    for (const doc of small) {
      if (doc.kind !== 'document') continue;
      expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(doc.sha256).toBe(sha256(await doc.read()));
    }
    const big = items.find((i) => i.source === 'root/d1/big.pdf');
    expect(big).toMatchObject({ kind: 'document', size: PDF.length + READ_WHOLE_BYTES });
    if (big?.kind !== 'document') return;
    expect(big.sha256).toBeUndefined();
    await fs.rm(path.join(dir, 'root/d1/big.pdf'));
    await expect(big.read()).rejects.toMatchObject({ code: 'FILE_VANISHED' });
    // A small file's bytes are not kept either: a second read goes to the file.
    const first = small[0];
    if (first.kind !== 'document') return;
    await fs.rm(path.join(dir, first.source));
    await expect(first.read()).rejects.toMatchObject({ code: 'FILE_VANISHED' });
  });

  it('starts the threads only after the files probed inline, keeping order across the switch', async () => {
    const dir = await mixedTree();
    const inline = await collect(['root'], { cwd: dir, probeThreads: 0 });
    const switched = await collect(['root'], { cwd: dir, probeThreads: 1, probeThreadsAfter: 100 });
    expect(switched.map((i) => i.source)).toEqual(inline.map((i) => i.source));
    const hashed = switched.map((i) => i.kind === 'document' && i.sha256 !== undefined);
    // The first 100 files were probed on the main thread; later small files came from the thread.
    expect(hashed.slice(0, 100).every((h) => !h)).toBe(true);
    expect(hashed.filter(Boolean).length).toBeGreaterThan(300);
  });

  it('ends the threads when the walk is stopped early', async () => {
    const dir = await mixedTree();
    const it = walkInputs(['root'], { cwd: dir, include: [], exclude: [], maxFileSize: 1e9, zipLimits: DEFAULT_ZIP_LIMITS, probeThreads: 1, probeThreadsAfter: 0 });
    const first = await it.next();
    expect(first.done).toBe(false);
    await expect(it.return(undefined)).resolves.toMatchObject({ done: true });
  });
});

describe('ProbePool', () => {
  it('answers a file that is gone with its error code, and a pipe as not a regular file, without opening it for long', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF });
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    const pool = new ProbePool(1);
    try {
      const listed = ['a.pdf', 'gone.pdf', 'pipe'].map((name) => ({ source: name, rel: name, absPath: path.join(dir, name) }));
      const { probes, ms } = await pool.probe(listed);
      expect(ms).toHaveLength(3);
      expect(probes[0]).toMatchObject({ source: 'a.pdf', sha256: sha256(Buffer.from(PDF)) });
      expect(probes[0].data?.toString()).toBe(PDF);
      expect(probes[0].stat?.isFile()).toBe(true);
      expect(probes[1].error).toMatchObject({ code: 'ENOENT' });
      expect(probes[2].stat?.isFile()).toBe(false);
      expect(probes[2].data).toBeUndefined();
    } finally {
      await pool.close();
    }
    await expect(pool.probe([])).rejects.toThrow(/closed/);
  });

  it('hands the files of a small batch views of its one buffer, and copies those of a large batch out of it', async () => {
    const dir = await makeTempDir();
    const small = Array.from({ length: 4 }, (_, i) => `s${i}.pdf`);
    // Five files near READ_WHOLE_BYTES make a batch over SHARED_BATCH_BYTES.
    const large = Array.from({ length: 5 }, (_, i) => `l${i}.pdf`);
    await writeTree(dir, {
      ...Object.fromEntries(small.map((name) => [name, `${PDF}${name}`])),
      ...Object.fromEntries(large.map((name) => [name, `${PDF}${name}`.padEnd(READ_WHOLE_BYTES - 16, '.')])),
    });
    expect(5 * (READ_WHOLE_BYTES - 16)).toBeGreaterThan(SHARED_BATCH_BYTES);
    const pool = new ProbePool(1);
    try {
      const listed = (names: string[]) => names.map((name) => ({ source: name, rel: name, absPath: path.join(dir, name) }));
      const shared = (await pool.probe(listed(small))).probes.map((p) => p.data!);
      expect(shared.map((d) => d.toString())).toEqual(small.map((name) => `${PDF}${name}`));
      expect(new Set(shared.map((d) => d.buffer)).size).toBe(1);
      const copied = (await pool.probe(listed(large))).probes.map((p) => p.data!);
      expect(copied.map((d) => d.subarray(0, PDF.length + 6).toString())).toEqual(large.map((name) => `${PDF}${name}`));
      // Each copy's memory is its own (or a slice of Node's small pool), never the batch's few megabytes.
      for (const d of copied) expect(d.buffer.byteLength).toBeLessThan(SHARED_BATCH_BYTES);
    } finally {
      await pool.close();
    }
  });
});
