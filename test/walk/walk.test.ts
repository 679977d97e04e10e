import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { READ_WHOLE_BYTES, walkInputs, type WalkOptions } from '../../src/walk/walk.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import type { InputItem } from '../../src/walk/types.js';
import { FIXTURES, makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = '%PDF-1.4\n% test\n';

async function collect(args: string[], opts: Partial<WalkOptions> & { cwd: string }): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of walkInputs(args, {
    include: [],
    exclude: [],
    maxFileSize: 50 * 1024 * 1024,
    zipLimits: DEFAULT_ZIP_LIMITS,
    ...opts,
  })) {
    items.push(item);
  }
  return items;
}

const sources = (items: InputItem[]) => items.map((i) => i.source).sort();

describe('walkInputs', () => {
  it('walks folders recursively, keeping the sources as the user wrote the argument', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'docs/a.pdf': PDF, 'docs/sub/b.pdf': PDF, 'docs/sub/deeper/c.txt': 'x', 'single.pdf': PDF });
    const rel = await collect(['docs', './single.pdf'], { cwd: dir });
    expect(sources(rel)).toEqual(['./single.pdf', 'docs/a.pdf', 'docs/sub/b.pdf', 'docs/sub/deeper/c.txt']);
    const abs = await collect([path.join(dir, 'docs') + '/'], { cwd: '/' });
    expect(sources(abs)).toEqual([`${dir}/docs/a.pdf`, `${dir}/docs/sub/b.pdf`, `${dir}/docs/sub/deeper/c.txt`]);
    const doc = rel.find((i) => i.source === 'docs/a.pdf');
    expect(doc?.kind).toBe('document');
    if (doc?.kind === 'document') expect((await doc.read()).toString()).toBe(PDF);
  });

  it('applies --include to documents and --exclude to files and folders', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF, 'b.png': 'x', 'skip/c.pdf': PDF, 'keep/d.pdf': PDF, 'keep/e.PDF': PDF });
    const items = await collect(['.'], { cwd: dir, include: ['*.pdf'], exclude: ['skip'] });
    expect(sources(items)).toEqual(['a.pdf', 'keep/d.pdf']);
  });

  it('expands quoted globs and reads paths from stdin with -', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'in/a.pdf': PDF, 'in/b.pdf': PDF, 'in/c.png': 'x', 'other/d.pdf': PDF });
    expect(sources(await collect(['in/*.pdf'], { cwd: dir }))).toEqual(['in/a.pdf', 'in/b.pdf']);
    const stdin = Readable.from(['in/c.png\n', '\n', 'other\r\n']);
    expect(sources(await collect(['-'], { cwd: dir, stdin }))).toEqual(['in/c.png', 'other/d.pdf']);
  });

  it('streams: the first item arrives before a large folder is fully listed', async () => {
    const dir = await makeTempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`big/f${i}.pdf`] = PDF;
    await writeTree(dir, files);
    const it = walkInputs(['big'], { cwd: dir, include: [], exclude: [], maxFileSize: 1e9, zipLimits: DEFAULT_ZIP_LIMITS });
    const first = await it.next();
    expect(first.done).toBe(false);
    await it.return(undefined);
  });

  it('skips files over the size cap without reading them, naming the size', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'big.pdf': PDF + 'x'.repeat(5000), 'small.pdf': PDF });
    const items = await collect(['.'], { cwd: dir, maxFileSize: 1024 });
    const big = items.find((i) => i.source === 'big.pdf');
    expect(big).toMatchObject({ kind: 'skipped', error: { code: 'FILE_TOO_LARGE' } });
    if (big?.kind === 'skipped') expect(big.error.message).toMatch(/4\.9 KiB is over the 1\.0 KiB limit.*--max-file-size/);
    expect(items.find((i) => i.source === 'small.pdf')?.kind).toBe('document');
  });

  it('ends on symlink loops, refuses links out of the root, and reports dangling links', async () => {
    const dir = await makeTempDir();
    const outside = await makeTempDir();
    await writeTree(dir, { 'root/a/file.pdf': PDF });
    await writeTree(outside, { 'secret.pdf': PDF });
    await fs.symlink('..', path.join(dir, 'root/a/loop'));
    await fs.symlink(path.join(outside, 'secret.pdf'), path.join(dir, 'root/out.pdf'));
    await fs.symlink('nowhere.pdf', path.join(dir, 'root/dangling.pdf'));
    const warnings: string[] = [];
    const items = await collect(['root'], { cwd: dir, onWarning: (m) => warnings.push(m) });
    expect(items.filter((i) => i.kind === 'document').map((i) => i.source)).toEqual(['root/a/file.pdf']);
    expect(items.find((i) => i.source === 'root/out.pdf')).toMatchObject({ kind: 'skipped', error: { code: 'SYMLINK_OUTSIDE_ROOT' } });
    expect(items.find((i) => i.source === 'root/dangling.pdf')).toMatchObject({ kind: 'skipped', error: { code: 'SYMLINK_DANGLING' } });
    expect(warnings.join('\n')).toMatch(/dangling/);
  });

  it('never opens a named pipe (no hang) and reports it as not a regular file', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF });
    execFileSync('mkfifo', [path.join(dir, 'pipe.pdf')]);
    const items = await collect(['.'], { cwd: dir });
    expect(items.find((i) => i.source === 'pipe.pdf')).toMatchObject({ kind: 'skipped', error: { code: 'NOT_REGULAR_FILE' } });
    expect(items.find((i) => i.source === 'a.pdf')?.kind).toBe('document');
  });

  it('turns a large file deleted after the walk into a vanished-file error on read', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF + ' '.repeat(READ_WHOLE_BYTES) });
    const items = await collect(['.'], { cwd: dir });
    await fs.rm(path.join(dir, 'a.pdf'));
    const doc = items[0];
    expect(doc.kind).toBe('document');
    if (doc.kind === 'document') await expect(doc.read()).rejects.toMatchObject({ code: 'FILE_VANISHED' });
  });

  it('reads a small file while walking and hands its bytes over once', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF, 'b.pdf': `${PDF}b` });
    const items = await collect(['.'], { cwd: dir });
    await fs.rm(path.join(dir, 'a.pdf'));
    const doc = items.find((i) => i.source === 'a.pdf');
    expect(doc).toMatchObject({ kind: 'document', size: PDF.length });
    if (doc?.kind !== 'document') return;
    expect((await doc.read()).toString()).toBe(PDF);
    // The walk's copy is not kept: a second read goes to the file, which is gone now.
    await expect(doc.read()).rejects.toMatchObject({ code: 'FILE_VANISHED' });
  });

  it.skipIf(process.getuid?.() === 0)('reports unreadable files and folders and goes on (needs a non-root user)', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'locked/x.pdf': PDF, 'secret.pdf': PDF, 'ok.pdf': PDF });
    await fs.chmod(path.join(dir, 'secret.pdf'), 0);
    await fs.chmod(path.join(dir, 'locked'), 0);
    const items = await collect(['.'], { cwd: dir });
    expect(items.find((i) => i.source === 'secret.pdf')).toMatchObject({ kind: 'skipped', error: { code: 'FILE_UNREADABLE' } });
    expect(items.find((i) => i.source === 'locked')).toMatchObject({ kind: 'skipped', error: { code: 'FILE_UNREADABLE' } });
    expect(items.find((i) => i.source === 'ok.pdf')?.kind).toBe('document');
    await fs.chmod(path.join(dir, 'locked'), 0o755);
  });
});

describe.each([
  ['inline (fast storage)', false],
  ['PROBE_AHEAD at a time (slow storage)', true],
])('walkInputs probing files %s', (_mode, overlapProbes) => {
  it('keeps listing order and every item across more files than it probes at once, with pipes and links among them', async () => {
    const dir = await makeTempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`d/f${i}.pdf`] = PDF;
    await writeTree(dir, files);
    execFileSync('mkfifo', [path.join(dir, 'd/pipe-x')]);
    await fs.symlink('nowhere', path.join(dir, 'd/dangling-x'));
    await fs.rm(path.join(dir, 'd/f50.pdf'));
    const listed: string[] = [];
    for await (const e of await fs.opendir(path.join(dir, 'd'))) listed.push(`d/${e.name}`);
    const items = await collect(['d'], { cwd: dir, overlapProbes });
    expect(items.map((i) => i.source)).toEqual(listed);
    const docs = items.filter((i) => i.kind === 'document');
    expect(docs).toHaveLength(99);
    for (const doc of docs) expect((await doc.read()).toString()).toBe(PDF);
    expect(items.find((i) => i.source === 'd/pipe-x')).toMatchObject({ kind: 'skipped', error: { code: 'NOT_REGULAR_FILE' } });
    expect(items.find((i) => i.source === 'd/dangling-x')).toMatchObject({ kind: 'skipped', error: { code: 'SYMLINK_DANGLING' } });
  });

  it('expands a ZIP archive found among the files', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'd'));
    await fs.copyFile(path.join(FIXTURES, 'archive.zip'), path.join(dir, 'd/batch.zip'));
    await writeTree(dir, { 'd/a.pdf': PDF });
    const items = await collect(['d'], { cwd: dir, overlapProbes });
    expect(items.some((i) => i.source.startsWith('d/batch.zip!/') && i.kind === 'document')).toBe(true);
    expect(items.find((i) => i.source === 'd/a.pdf')?.kind).toBe('document');
  });
});
