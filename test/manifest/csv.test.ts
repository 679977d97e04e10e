import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { CSV_COLUMNS, rowToCsvRecord, writeCsvFile, writeFileAtomic } from '../../src/manifest/csv.js';
import { removeStaleTempFiles } from '../../src/manifest/atomic.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { makeTempDir } from '../helpers/tmp.js';
import { parseCsv } from './parse-csv.js';

const row = (extra: Partial<ManifestRow> = {}): ManifestRow => ({
  job_id: 'local_0123',
  status: 'completed',
  source: 'a.pdf',
  sha256: 'ab'.repeat(32),
  target: 'local',
  ts: '2024-01-01T00:00:00Z',
  ...extra,
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('rowToCsvRecord', () => {
  it('maps the columns in order', () => {
    const record = rowToCsvRecord(
      row({ pages: 3, sources: ['a.pdf', 'z.zip!/b.pdf'], text: 'hello', error: { code: 'X', message: 'm', category: 'document' } }),
    );
    expect(CSV_COLUMNS).toEqual(['job_id', 'status', 'source', 'sha256', 'target', 'pages', 'error_code', 'error_message', 'sources', 'text']);
    expect(record).toEqual(['local_0123', 'completed', 'a.pdf', 'ab'.repeat(32), 'local', '3', 'X', 'm', 'a.pdf;z.zip!/b.pdf', 'hello']);
  });

  it('leaves absent fields empty and falls back to source for sources', () => {
    expect(rowToCsvRecord(row({ sha256: null, status: 'skipped' }))).toEqual([
      'local_0123', 'skipped', 'a.pdf', '', 'local', '', '', '', 'a.pdf', '',
    ]);
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const record = rowToCsvRecord(
      row({ source: '=HYPERLINK("http://x")', sources: ['=cmd|x', 'ok'], text: '-2+3', error: { code: '@SUM(A1)', message: '\tx', category: 'input' } }),
    );
    expect(record[2]).toBe(`'=HYPERLINK("http://x")`);
    expect(record[6]).toBe(`'@SUM(A1)`);
    expect(record[7]).toBe(`'\tx`);
    expect(record[8]).toBe(`'=cmd|x;ok`);
    expect(record[9]).toBe(`'-2+3`);
    expect(rowToCsvRecord(row({ source: '+1' }))[2]).toBe(`'+1`);
    expect(rowToCsvRecord(row({ source: '\rx' }))[2]).toBe(`'\rx`);
  });

  it('puts the text path in the text column with a results dir', () => {
    expect(rowToCsvRecord(row({ text: 't', text_path: 'out/local_0123.txt' }), { resultsDir: 'out' })[9]).toBe('out/local_0123.txt');
    expect(rowToCsvRecord(row({ text: 't' }), { resultsDir: 'out' })[9]).toBe(path.join('out', 'local_0123.txt'));
    expect(rowToCsvRecord(row({ status: 'failed' }), { resultsDir: 'out' })[9]).toBe('');
  });

  it("with a results dir by source, a row without text_path gets its source's text file", () => {
    const bySource = { resultsDir: 'out', resultsLayout: 'source' } as const;
    expect(rowToCsvRecord(row({ text: 't', source: '/data/in/a.pdf' }), bySource)[9]).toBe(path.join('out', 'data/in/a.pdf.txt'));
    expect(rowToCsvRecord(row({ text: 't', source: '../in/a.zip!/b.pdf' }), bySource)[9]).toBe(path.join('out', '__/in/a.zip!/b.pdf.txt'));
    expect(rowToCsvRecord(row({ text: 't', text_path: '/r/x.txt' }), bySource)[9]).toBe('/r/x.txt');
  });
});

describe('writeCsvFile', () => {
  it('quotes names with newlines, quotes and commas per RFC 4180, and reads back losslessly', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'out.csv');
    const odd = 'in"voice,\n2024\r\n.pdf';
    const rows = [row({ source: odd, sources: [odd, 'b.pdf'], text: 'line 1\nline "2"' }), row({ job_id: 'j2', source: '=1+2' })];
    await writeCsvFile(rows, file);
    const text = await fs.readFile(file, 'utf8');
    expect(text.startsWith(`${CSV_COLUMNS.join(',')}\n`)).toBe(true);
    expect(text).toContain('"in""voice,\n2024\r\n.pdf"');
    const records = parseCsv(text);
    expect(records).toHaveLength(3);
    expect(records[1][2]).toBe(odd);
    expect(records[1][8]).toBe(`${odd};b.pdf`);
    expect(records[1][9]).toBe('line 1\nline "2"');
    expect(records[2][2]).toBe(`'=1+2`);
    expect(await fs.readdir(dir)).toEqual(['out.csv']);
  });

  it('streams many rows from an async iterable', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'out.csv');
    async function* rows() {
      for (let i = 0; i < 2000; i += 1) yield row({ job_id: `j${i}` });
    }
    await writeCsvFile(rows(), file);
    const records = parseCsv(await fs.readFile(file, 'utf8'));
    expect(records).toHaveLength(2001);
    expect(records[2000][0]).toBe('j1999');
  });

  it('replaces the previous file atomically, and keeps it when writing fails', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'out.csv');
    await fs.writeFile(file, 'old\n');
    await fs.chmod(file, 0o600);
    async function* failing() {
      yield row();
      throw new Error('reader failed');
    }
    await expect(writeCsvFile(failing(), file)).rejects.toThrow('reader failed');
    expect(await fs.readFile(file, 'utf8')).toBe('old\n');
    expect(await fs.readdir(dir)).toEqual(['out.csv']);
    await writeCsvFile([row()], file);
    expect(parseCsv(await fs.readFile(file, 'utf8'))).toHaveLength(2);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('removes temp files left by killed runs, but not those of live processes or other files', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'out.csv');
    const dead = await deadPid();
    const stale = `.out.csv.tmp-${dead}-abcdef012345`;
    const live = `.out.csv.tmp-${process.ppid}-abcdef012345`;
    const other = `.other.csv.tmp-${dead}-abcdef012345`;
    for (const name of [stale, live, other]) await fs.writeFile(path.join(dir, name), 'partial');
    await writeCsvFile([row()], file);
    expect((await fs.readdir(dir)).sort()).toEqual([live, other, 'out.csv'].sort());
    expect(await removeStaleTempFiles(dir)).toEqual([path.join(dir, other)]);
  });

  it('fails with ConfigError when the directory is missing', async () => {
    const dir = await makeTempDir();
    await expect(writeCsvFile([row()], path.join(dir, 'no', 'out.csv'))).rejects.toThrow(ConfigError);
  });
});

describe('writeFileAtomic', () => {
  it('writes strings and bytes, leaving no temp file', async () => {
    const dir = await makeTempDir();
    await writeFileAtomic(path.join(dir, 'a.txt'), 'héllo');
    await writeFileAtomic(path.join(dir, 'b.bin'), Buffer.from([0, 1, 2]));
    expect(await fs.readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('héllo');
    expect([...(await fs.readFile(path.join(dir, 'b.bin')))]).toEqual([0, 1, 2]);
    expect((await fs.readdir(dir)).sort()).toEqual(['a.txt', 'b.bin']);
  });

  it('refuses to replace a directory', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'd'));
    await expect(writeFileAtomic(path.join(dir, 'd'), 'x')).rejects.toThrow(ConfigError);
    expect(await fs.readdir(dir)).toEqual(['d']);
  });
});
