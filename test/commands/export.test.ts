import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportManifest } from '../../src/commands/export/index.js';
import { ConfigError, ManifestError } from '../../src/errors.js';
import { CSV_COLUMNS } from '../../src/manifest/csv.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir } from '../helpers/tmp.js';
import { parseCsv } from '../manifest/parse-csv.js';

const line = (job: string, status: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ job_id: job, status, source: `${job}.pdf`, sha256: 'ab', target: 'local', ts: 't', ...extra });

/** Three jobs over five lines: an update, a duplicate source, a failure, and a formula-like name. */
async function sampleManifest(dir: string): Promise<string> {
  const file = path.join(dir, 'm.jsonl');
  await fs.writeFile(
    file,
    [
      line('j1', 'processing'),
      line('j2', 'failed', { source: '=evil,"x"\n.pdf', error: { code: 'PDF_INVALID', message: 'bad xref', category: 'document' } }),
      line('j1', 'processing', { source: 'copy/j1.pdf' }),
      line('j3', 'skipped', { sha256: null, error: { code: 'UNSUPPORTED_TYPE', message: 'text/plain', category: 'input' } }),
      line('j1', 'completed', { text: 'Hello\nworld', pages: 2 }),
      '',
    ].join('\n'),
  );
  return file;
}

describe('exportManifest', () => {
  it('prints the folded view as JSONL on stdout', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    const result = await exportManifest({ manifest: 'm.jsonl', format: 'jsonl' }, io.deps);
    expect(result).toEqual({ exitCode: 0, summary: { jobs: 3 } });
    const rows = io.stdout().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.job_id, r.status])).toEqual([
      ['j1', 'completed'],
      ['j2', 'failed'],
      ['j3', 'skipped'],
    ]);
    expect(rows[0]).toMatchObject({ source: 'j1.pdf', sources: ['j1.pdf', 'copy/j1.pdf'], text: 'Hello\nworld', pages: 2 });
    expect(io.stderr()).toBe('');
  });

  it('prints the CSV view on stdout', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    await exportManifest({ manifest: 'm.jsonl', format: 'csv' }, io.deps);
    const records = parseCsv(io.stdout());
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    expect(records.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['j1', 'completed', 'j1.pdf'],
      ['j2', 'failed', `'=evil,"x"\n.pdf`],
      ['j3', 'skipped', 'j3.pdf'],
    ]);
    expect(records[1][8]).toBe('j1.pdf;copy/j1.pdf');
    expect(records[1][9]).toBe('Hello\nworld');
    expect(records[2].slice(6, 8)).toEqual(['PDF_INVALID', 'bad xref']);
  });

  it('writes -o FILE atomically, relative to cwd, and nothing on stdout', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    await exportManifest({ manifest: 'm.jsonl', format: 'csv', output: 'view.csv' }, io.deps);
    await exportManifest({ manifest: 'm.jsonl', format: 'jsonl', output: 'view.jsonl' }, io.deps);
    expect(io.stdout()).toBe('');
    expect(parseCsv(await fs.readFile(path.join(dir, 'view.csv'), 'utf8'))).toHaveLength(4);
    expect((await fs.readFile(path.join(dir, 'view.jsonl'), 'utf8')).trimEnd().split('\n')).toHaveLength(3);
    expect((await fs.readdir(dir)).sort()).toEqual(['m.jsonl', 'view.csv', 'view.jsonl']);
  });

  it('warns about a torn last line on stderr and exports the rest', async () => {
    const dir = await makeTempDir();
    const file = await sampleManifest(dir);
    await fs.appendFile(file, '{"job_id":"j4","sta');
    const io = captureIo(dir);
    expect(await exportManifest({ manifest: 'm.jsonl', format: 'jsonl' }, io.deps)).toEqual({ exitCode: 0, summary: { jobs: 3 } });
    expect(io.stderr()).toMatch(/^ocrq: warning: manifest .*m\.jsonl: ignored a torn last line \(19 bytes/);
    // Reading never modifies the manifest, nor takes its lock.
    expect((await fs.readFile(file, 'utf8')).endsWith('"sta')).toBe(true);
    expect(await fs.readdir(dir)).toEqual(['m.jsonl']);
  });

  it('works while another process holds the lock', async () => {
    const dir = await makeTempDir();
    const file = await sampleManifest(dir);
    await fs.writeFile(`${file}.lock`, `${process.ppid}\n`);
    const io = captureIo(dir);
    expect(await exportManifest({ manifest: 'm.jsonl', format: 'jsonl' }, io.deps)).toEqual({ exitCode: 0, summary: { jobs: 3 } });
  });

  it('refuses a missing manifest with a ConfigError naming it, before writing anything', async () => {
    const dir = await makeTempDir();
    const io = captureIo(dir);
    const error = await exportManifest({ manifest: 'nope.jsonl', format: 'csv', output: 'out.csv' }, io.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(path.join(dir, 'nope.jsonl'));
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('refuses a corrupt middle line, leaving a previous export in place', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${line('a', 'completed')}\nnot json\n${line('b', 'completed')}\n`);
    await fs.writeFile(path.join(dir, 'out.csv'), 'previous\n');
    const io = captureIo(dir);
    await expect(exportManifest({ manifest: 'm.jsonl', format: 'csv', output: 'out.csv' }, io.deps)).rejects.toThrow(ManifestError);
    expect(await fs.readFile(path.join(dir, 'out.csv'), 'utf8')).toBe('previous\n');
    expect((await fs.readdir(dir)).sort()).toEqual(['m.jsonl', 'out.csv']);
    expect(await exportManifest({ manifest: 'm.jsonl', format: 'csv', output: 'out.csv', repair: true }, io.deps)).toEqual({ exitCode: 0, summary: { jobs: 2 } });
  });

  it('refuses to overwrite the manifest with its own export', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    await expect(exportManifest({ manifest: 'm.jsonl', format: 'jsonl', output: './m.jsonl' }, io.deps)).rejects.toThrow(ConfigError);
  });

  it('stops quietly when the reader of stdout goes away', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, Array.from({ length: 5000 }, (_, i) => line(`j${i}`, 'completed', { text: 'x'.repeat(200) })).join('\n') + '\n');
    const stdout = new PassThrough({ highWaterMark: 1024 });
    let received = 0;
    stdout.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > 10_000) stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    });
    const io = captureIo(dir, { stdout });
    const { summary } = await exportManifest({ manifest: 'm.jsonl', format: 'jsonl' }, io.deps);
    expect(summary.jobs).toBeLessThan(5000);
  });
});
