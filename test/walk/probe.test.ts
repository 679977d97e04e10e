import fsSync from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEAD_BYTES, probeFileSync, READ_WHOLE_BYTES } from '../../src/walk/probe.js';
import { makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = '%PDF-1.4\n% test\n';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Appends a byte to `file` right after each read of it: the file really changes between the stats around a read. */
function appendAfterEachRead(file: string, times = Infinity): void {
  const read = fsSync.readSync;
  let left = times;
  vi.spyOn(fsSync, 'readSync').mockImplementation(((...args: Parameters<typeof fsSync.readSync>) => {
    const n = (read as (...a: unknown[]) => number)(...args);
    if (left-- > 0) fsSync.appendFileSync(file, 'x');
    return n;
  }) as typeof fsSync.readSync);
}

describe('probeFileSync', () => {
  it('reads a small file whole, with its first bytes as the head', async () => {
    const dir = await makeTempDir();
    await writeTree(dir, { 'a.pdf': PDF + 'z'.repeat(2 * HEAD_BYTES) });
    const probe = probeFileSync('a.pdf', 'a.pdf', path.join(dir, 'a.pdf'));
    expect(probe.stat).toMatchObject({ size: PDF.length + 2 * HEAD_BYTES });
    expect(probe.stat?.isFile()).toBe(true);
    expect(probe.data?.toString()).toBe(PDF + 'z'.repeat(2 * HEAD_BYTES));
    expect(probe.head).toHaveLength(HEAD_BYTES);
  });

  it('reads only the head of a file over READ_WHOLE_BYTES, and never checks it for change (it is read again later)', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'big.pdf');
    await writeTree(dir, { 'big.pdf': PDF + ' '.repeat(READ_WHOLE_BYTES) });
    appendAfterEachRead(file);
    const probe = probeFileSync('big.pdf', 'big.pdf', file);
    expect(probe.error).toBeUndefined();
    expect(probe.data).toBeUndefined();
    expect(probe.head?.subarray(0, PDF.length).toString()).toBe(PDF);
  });

  it('reads a file that changed while it was read once more, and takes the second reading when it holds', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'a.pdf');
    await writeTree(dir, { 'a.pdf': PDF });
    appendAfterEachRead(file, 1);
    const probe = probeFileSync('a.pdf', 'a.pdf', file);
    expect(probe.error).toBeUndefined();
    expect(probe.data?.toString()).toBe(`${PDF}x`);
  });

  it('refuses a file that changed during both readings as FILE_CHANGED, never with the bytes read', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'a.pdf');
    await writeTree(dir, { 'a.pdf': PDF });
    appendAfterEachRead(file);
    const probe = probeFileSync('a.pdf', 'a.pdf', file);
    expect(probe.error).toMatchObject({ code: 'FILE_CHANGED', message: 'a.pdf: changed while being read (twice); not processed' });
    expect(probe.data).toBeUndefined();
  });
});
