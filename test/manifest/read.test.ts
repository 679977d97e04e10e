import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ManifestError } from '../../src/errors.js';
import { READ_CHUNK_BYTES, readManifest, readManifestRows, type ReadOptions } from '../../src/manifest/read.js';
import { makeTempDir } from '../helpers/tmp.js';

const row = (job: string, status = 'completed', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ job_id: job, status, source: `${job}.pdf`, sha256: null, target: 'local', ts: '2024-01-01T00:00:00Z', ...extra });

async function collect(file: string, options: ReadOptions = {}) {
  const out = [];
  for await (const item of readManifest(file, options)) out.push(item);
  return out;
}

describe('readManifest', () => {
  it('yields rows with 1-based line numbers, skipping blank lines', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${row('a')}\n\n   \n${row('b')}\r\n`);
    const items = await collect(file);
    expect(items.map((i) => [i.row.job_id, i.line])).toEqual([
      ['a', 1],
      ['b', 4],
    ]);
  });

  it('reports offsets that point at the line bytes', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const content = `${row('a', 'completed', { text: 'héllo ✓' })}\n${row('b')}\n`;
    await fs.writeFile(file, content);
    const bytes = await fs.readFile(file);
    for (const item of await collect(file)) {
      const line = bytes.subarray(item.offset, item.offset + item.length).toString('utf8');
      expect(JSON.parse(line)).toEqual(item.row);
    }
  });

  it('keeps multi-byte characters intact in lines longer than one read chunk', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const text = '€✓ü'.repeat(Math.ceil((READ_CHUNK_BYTES * 2) / 8));
    await fs.writeFile(file, `${row('a')}\n${row('big', 'completed', { text })}\n${row('c')}\n`);
    const items = await collect(file);
    expect(items.map((i) => i.row.job_id)).toEqual(['a', 'big', 'c']);
    expect(items[1].row.text).toBe(text);
  });

  it('does not yield a torn last line and warns about it', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const full = row('b');
    await fs.writeFile(file, `${row('a')}\n${full.slice(0, 20)}`);
    const warnings: string[] = [];
    const items = await collect(file, { onWarning: (m) => warnings.push(m) });
    expect(items.map((i) => i.row.job_id)).toEqual(['a']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('torn last line (20 bytes');
    expect(warnings[0]).toContain(file);
  });

  it('yields a whole last row that only lacks its newline', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${row('a')}\n${row('b')}`);
    const tails: unknown[] = [];
    const items = await collect(file, { onTail: (t) => tails.push(t) });
    expect(items.map((i) => i.row.job_id)).toEqual(['a', 'b']);
    expect(tails).toEqual([{ offset: row('a').length + 1, bytes: row('b').length, complete: true }]);
  });

  it('throws ManifestError naming the file and line of a corrupt middle line', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${row('a')}\n{"job_id":"b","sta\n${row('c')}\n`);
    const error = await collect(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toContain(`${file}: line 2`);
    expect((error as ManifestError).fix).toMatch(/^run ocrq repair .+ \(it moves corrupt lines to .+\.corrupt\), or add --repair to skip them this once$/);
    expect((error as ManifestError).exitCode).toBe(2);
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['a row without job_id', '{"status":"completed"}'],
    ['a row with a numeric status', '{"job_id":"x","status":3}'],
    ['a row with an empty job_id', '{"job_id":"","status":"completed"}'],
  ])('refuses %s in the middle', async (_name, bad) => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${bad}\n${row('c')}\n`);
    await expect(collect(file)).rejects.toThrow(/line 1 is corrupt/);
  });

  it('skips corrupt lines with a warning when repairing', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${row('a')}\nnot json\n${row('c')}\n`);
    const warnings: string[] = [];
    const rows = [];
    for await (const r of readManifestRows(file, { repair: true, onWarning: (m) => warnings.push(m) })) rows.push(r);
    expect(rows.map((r) => r.job_id)).toEqual(['a', 'c']);
    expect(warnings).toEqual([expect.stringContaining('skipped line 2')]);
  });

  it('accepts a byte order mark at the start of the file', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `\uFEFF${row('a')}\n`);
    expect((await collect(file)).map((i) => i.row.job_id)).toEqual(['a']);
  });

  it('reads an empty file as no rows', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, '');
    expect(await collect(file)).toEqual([]);
  });

  it('throws ConfigError naming a missing manifest or a directory', async () => {
    const dir = await makeTempDir();
    const missing = path.join(dir, 'nope.jsonl');
    await expect(collect(missing)).rejects.toThrow(ConfigError);
    await expect(collect(missing)).rejects.toThrow(`manifest ${missing} not found`);
    await expect(collect(dir)).rejects.toThrow(ConfigError);
  });
});
