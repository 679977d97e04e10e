import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { status } from '../../src/commands/status/index.js';
import { ConfigError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir } from '../helpers/tmp.js';

const line = (job: string, st: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ job_id: job, status: st, source: `${job}.pdf`, sha256: 'ab', target: 'local', ts: 't', ...extra });
const failure = (code: string) => ({ error: { code, message: 'm', category: 'document' } });

async function sampleManifest(dir: string): Promise<string> {
  const file = path.join(dir, 'm.jsonl');
  await fs.writeFile(
    file,
    [
      line('j1', 'submitted'),
      line('j2', 'failed', failure('OCR_FAILED')),
      line('j3', 'processing'),
      line('j1', 'completed'),
      line('j2', 'failed', failure('PDF_INVALID')),
      line('j4', 'failed', failure('PDF_INVALID')),
      line('j5', 'skipped', failure('UNSUPPORTED_TYPE')),
      line('j6', 'submitted'),
      line('j7', 'failed'),
      '',
    ].join('\n'),
  );
  return file;
}

describe('status', () => {
  it('prints counts by status, failures by code and pending jobs as JSON', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    const result = await status({ manifest: 'm.jsonl', json: true }, io.deps);
    const expected = {
      jobs: 7,
      by_status: { submitted: 1, processing: 1, completed: 1, failed: 3, skipped: 1 },
      failures_by_code: { PDF_INVALID: 2, UNKNOWN: 1 },
      pending: ['j3', 'j6'],
      low_confidence_documents: 0,
      low_confidence_pages: 0,
    };
    expect(result).toEqual({ exitCode: 0, summary: expected });
    expect(io.stdout()).toBe(`${JSON.stringify(expected)}\n`);
    expect(JSON.parse(io.stdout())).toEqual(expected);
    expect(io.stderr()).toBe('');
  });

  it('prints a table for people', async () => {
    const dir = await makeTempDir();
    await sampleManifest(dir);
    const io = captureIo(dir);
    await status({ manifest: 'm.jsonl', json: false }, io.deps);
    expect(io.stdout()).toBe(
      [
        'manifest m.jsonl: 7 jobs',
        '  submitted   1',
        '  processing  1',
        '  completed   1',
        '  failed      3',
        '  skipped     1',
        'failures by code:',
        '  PDF_INVALID  2',
        '  UNKNOWN      1',
        'pending (2):',
        '  j3',
        '  j6',
        '',
      ].join('\n'),
    );
  });

  it('groups the thousands of large counts and keeps the column aligned', async () => {
    const dir = await makeTempDir();
    const lines = Array.from({ length: 1200 }, (_, i) => line(`c${i}`, 'completed'));
    lines.push(...Array.from({ length: 3 }, (_, i) => line(`f${i}`, 'failed', failure('PDF_INVALID'))));
    await fs.writeFile(path.join(dir, 'm.jsonl'), `${lines.join('\n')}\n`);
    const io = captureIo(dir);
    await status({ manifest: 'm.jsonl', json: false }, io.deps);
    expect(io.stdout().split('\n').slice(0, 3)).toEqual(['manifest m.jsonl: 1,203 jobs', '  completed  1,200', '  failed         3']);
    // Machine output keeps plain numbers.
    const json = captureIo(dir);
    await status({ manifest: 'm.jsonl', json: true }, json.deps);
    expect(JSON.parse(json.stdout()).jobs).toBe(1203);
  });

  it('counts an empty manifest as no jobs, and escapes control characters in the table', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'empty.jsonl'), '');
    const io = captureIo(dir);
    expect((await status({ manifest: 'empty.jsonl', json: true }, io.deps)).summary).toEqual({
      jobs: 0,
      by_status: { submitted: 0, processing: 0, completed: 0, failed: 0, skipped: 0 },
      failures_by_code: {},
      pending: [],
      low_confidence_documents: 0,
      low_confidence_pages: 0,
    });
    await fs.writeFile(path.join(dir, 'odd.jsonl'), `${line('job\u001b[31m', 'submitted')}\n`);
    const human = captureIo(dir);
    await status({ manifest: 'odd.jsonl', json: false }, human.deps);
    expect(human.stdout()).toContain('job\\x1b[31m');
    expect(human.stdout()).not.toContain('\u001b');
  });

  it('counts completed documents with low-confidence pages, by their latest outcome', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(
      path.join(dir, 'm.jsonl'),
      [
        line('a', 'completed', { text: 'x', low_confidence_pages: 2 }),
        line('b', 'completed', { text: 'y', low_confidence_pages: 1 }),
        line('c', 'completed', { text: 'z' }),
        // Redone (--force) and now read with confidence: the count is written as 0 over the old one.
        line('d', 'completed', { text: 'w', low_confidence_pages: 4 }),
        line('d', 'completed', { text: 'w', low_confidence_pages: 0 }),
        // Redone and failed: the failure replaces the old outcome.
        line('e', 'completed', { text: 'v', low_confidence_pages: 5 }),
        line('e', 'failed', failure('OCR_FAILED')),
        '',
      ].join('\n'),
    );
    const io = captureIo(dir);
    expect((await status({ manifest: 'm.jsonl', json: true }, io.deps)).summary).toMatchObject({ low_confidence_documents: 2, low_confidence_pages: 3 });
    const human = captureIo(dir);
    await status({ manifest: 'm.jsonl', json: false }, human.deps);
    expect(human.stdout()).toContain('\nlow confidence: 3 pages in 2 documents (ocrq export --low-confidence lists them)\n');
  });

  it('keeps unknown statuses and odd codes as plain keys', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'm.jsonl'), `${line('a', 'queued')}\n${line('b', 'failed', failure('__proto__'))}\n`);
    const io = captureIo(dir);
    const { summary } = await status({ manifest: 'm.jsonl', json: true }, io.deps);
    expect(summary.by_status.queued).toBe(1);
    expect(JSON.parse(io.stdout()).failures_by_code).toEqual(JSON.parse('{"__proto__":1}'));
  });

  it('warns about a torn last line on stderr', async () => {
    const dir = await makeTempDir();
    const file = await sampleManifest(dir);
    await fs.appendFile(file, '{"job_id":"j9"');
    const io = captureIo(dir);
    expect((await status({ manifest: 'm.jsonl', json: true }, io.deps)).summary.jobs).toBe(7);
    expect(io.stderr()).toContain('torn last line');
  });

  it('refuses a missing manifest with a ConfigError naming it', async () => {
    const dir = await makeTempDir();
    const io = captureIo(dir);
    await expect(status({ manifest: 'missing.jsonl', json: false }, io.deps)).rejects.toThrow(ConfigError);
    await expect(status({ manifest: 'missing.jsonl', json: false }, io.deps)).rejects.toThrow('missing.jsonl not found');
  });
});
