import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countInputs, type CountOptions } from '../../src/walk/count.js';
import { countInputsInThread } from '../../src/walk/count-thread.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import { FIXTURES, makeTempDir, writeTree } from '../helpers/tmp.js';

const PDF = '%PDF-1.4\n% test\n';

const options = (cwd: string, more: Partial<CountOptions> = {}): CountOptions => ({
  cwd,
  include: [],
  exclude: [],
  zipLimits: DEFAULT_ZIP_LIMITS,
  signal: new AbortController().signal,
  ...more,
});

async function tree(): Promise<string> {
  const dir = await makeTempDir();
  const files: Record<string, string> = { 'root/notes.txt': 'x', 'root/skip/d.pdf': PDF };
  for (let i = 0; i < 300; i++) files[`root/d${i % 7}/f${i}.pdf`] = PDF;
  await writeTree(dir, files);
  await fs.symlink('d0', path.join(dir, 'root/alias'));
  await fs.copyFile(path.join(FIXTURES, 'archive.zip'), path.join(dir, 'root/batch.zip'));
  return dir;
}

describe('countInputsInThread', () => {
  it.each([
    ['no filters', {}],
    ['--include and --exclude', { include: ['*.pdf'], exclude: ['skip'] }],
    ['--shard 1/3', { shard: { index: 1, count: 3 } }],
  ])('counts what countInputs counts, with %s, and tells the final count last', async (_name, more) => {
    const dir = await tree();
    const direct: number[] = [];
    const threaded: number[] = [];
    const expected = await countInputs(['root', 'root/d1/f1.pdf'], options(dir, more), (n) => direct.push(n));
    const total = await countInputsInThread(['root', 'root/d1/f1.pdf'], options(dir, more), (n) => threaded.push(n));
    expect(expected).toBeGreaterThan(0);
    expect(total).toBe(expected);
    expect(threaded.at(-1)).toBe(expected);
  });

  it('gives null for paths read from standard input, and when stopped, without waiting for the count', async () => {
    const dir = await tree();
    const stdin = Readable.from(['root\n']);
    expect(await countInputsInThread(['-'], options(dir, { stdin }), () => {})).toBeNull();
    const stop = new AbortController();
    const counting = countInputsInThread(['root'], options(dir, { signal: stop.signal }), () => {});
    stop.abort();
    expect(await counting).toBeNull();
    const stopped = new AbortController();
    stopped.abort();
    expect(await countInputsInThread(['root'], options(dir, { signal: stopped.signal }), () => {})).toBeNull();
  });
});
