import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ConfigError, ManifestError, OcrqError } from '../../src/errors.js';
import { Journal, ManifestWriteError, type OpenJournalOptions } from '../../src/manifest/jsonl.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { makeTempDir } from '../helpers/tmp.js';

const makeRow = (job: string, status: ManifestRow['status'] = 'completed', extra: Partial<ManifestRow> = {}): ManifestRow => ({
  job_id: job,
  status,
  source: `${job}.pdf`,
  sha256: null,
  target: 'local',
  ts: '2024-01-01T00:00:00Z',
  ...extra,
});

async function openJournal(file: string, options: OpenJournalOptions = {}) {
  const opened = await Journal.open(file, options);
  onTestFinished(() => opened.journal.close().catch(() => undefined));
  return opened;
}

async function readLines(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '');
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('Journal', () => {
  it('creates the manifest, appends rows and reflects them into the index', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal, index, lines } = await openJournal(file);
    expect(lines).toBe(0);
    await journal.append(makeRow('a', 'submitted'));
    await journal.append(makeRow('a', 'completed', { source: 'b.pdf' }));
    expect(journal.appended).toBe(2);
    expect(index.get('a')).toEqual({ status: 'completed', sources: ['a.pdf', 'b.pdf'] });
    await journal.close();
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644 & ~process.umask());
    expect((await readLines(file)).map((l) => JSON.parse(l).status)).toEqual(['submitted', 'completed']);
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
  });

  it('sync() waits for queued appends and fsyncs them', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file, { fsyncIntervalMs: 60_000 });
    void journal.append(makeRow('a'));
    void journal.append(makeRow('b'));
    await journal.sync();
    expect(await readLines(file)).toHaveLength(2);
  });

  it('writes 200 concurrent appends as 200 intact lines', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file, { fsyncIntervalMs: 5 });
    const bulky = 'x'.repeat(20_000);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.append(makeRow(`job-${i}`, 'completed', { text: `${i}:${bulky}` }))));
    await journal.close();
    const lines = await readLines(file);
    expect(lines).toHaveLength(200);
    const ids = lines.map((l) => JSON.parse(l) as ManifestRow).map((r) => {
      expect(r.text).toBe(`${r.job_id.slice(4)}:${bulky}`);
      return r.job_id;
    });
    expect(new Set(ids).size).toBe(200);
  });

  it('rebuilds the index from an existing manifest on open', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const first = await openJournal(file);
    await first.journal.append(makeRow('a', 'submitted'));
    await first.journal.append(makeRow('b', 'failed', { error: { code: 'PDF_INVALID', message: 'bad', category: 'document' } }));
    await first.journal.close();
    const { index, lines, journal } = await openJournal(file);
    expect(lines).toBe(2);
    expect(journal.appended).toBe(0);
    expect(index.get('b')).toEqual({ status: 'failed', sources: ['b.pdf'], errorCode: 'PDF_INVALID', errorMessage: 'bad' });
  });

  it('cuts a torn tail, keeps a copy, warns, and leaves the job out of the index', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const good = JSON.stringify(makeRow('a'));
    const torn = JSON.stringify(makeRow('b')).slice(0, 30);
    await fs.writeFile(file, `${good}\n${torn}`);
    const warnings: string[] = [];
    const { journal, index, lines } = await openJournal(file, { onWarning: (m) => warnings.push(m) });
    expect(lines).toBe(1);
    expect([...index.keys()]).toEqual(['a']);
    expect(warnings).toHaveLength(1);
    const copyName = (await fs.readdir(dir)).find((f) => f.startsWith('m.jsonl.torn-'));
    expect(copyName).toMatch(/^m\.jsonl\.torn-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    const copy = path.join(dir, copyName!);
    expect(warnings[0]).toBe(
      `manifest ${file}: ignored a torn last line (30 bytes, kept in ${copy}); the job it described will be checked again`,
    );
    expect(await fs.readFile(copy, 'utf8')).toBe(torn);
    expect(await fs.readFile(file, 'utf8')).toBe(`${good}\n`);
    await journal.append(makeRow('b'));
    await journal.close();
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a', 'b']);
  });

  it('completes a whole last row that only lacks its newline', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, JSON.stringify(makeRow('a')));
    const warnings: string[] = [];
    const { journal, index } = await openJournal(file, { onWarning: (m) => warnings.push(m) });
    expect([...index.keys()]).toEqual(['a']);
    await journal.append(makeRow('b'));
    await journal.close();
    expect(warnings).toEqual([]);
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a', 'b']);
  });

  it('refuses a corrupt middle line with its line number, and skips it with repair', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(file, `${JSON.stringify(makeRow('a'))}\n\n{oops\n${JSON.stringify(makeRow('c'))}\n`);
    const error = await Journal.open(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toContain('line 3');
    // The refused open released its lock.
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
    const warnings: string[] = [];
    const { index } = await openJournal(file, { repair: true, onWarning: (m) => warnings.push(m) });
    expect([...index.keys()]).toEqual(['a', 'c']);
    expect(warnings).toEqual([expect.stringContaining('skipped line 3')]);
  });

  it('refuses a second open while the first holds the lock, naming the pid', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const first = await openJournal(file);
    const error = await Journal.open(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`manifest ${file} is locked by pid ${process.pid}`);
    expect((error as ConfigError).fix).toContain(`remove ${file}.lock`);
    expect((await fs.readFile(`${file}.lock`, 'utf8')).trim()).toBe(String(process.pid));
    await first.journal.close();
    const second = await openJournal(file);
    await second.journal.close();
  });

  it('refuses a lock held by another live process', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    await fs.writeFile(`${file}.lock`, `${child.pid}\n`);
    await expect(Journal.open(file)).rejects.toThrow(`is locked by pid ${child.pid}`);
    // The refusal leaves the other process's lock alone.
    expect((await fs.readFile(`${file}.lock`, 'utf8')).trim()).toBe(String(child.pid));
  });

  it('takes over a stale lock whose pid is gone, with a warning', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const pid = await deadPid();
    await fs.writeFile(`${file}.lock`, `${pid}\n`);
    const warnings: string[] = [];
    const { journal } = await openJournal(file, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([`manifest ${file}: took over a stale lock from pid ${pid}, which is no longer running`]);
    expect((await fs.readFile(`${file}.lock`, 'utf8')).trim()).toBe(String(process.pid));
    await journal.close();
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
  });

  it('takes over a lock with unreadable content', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    await fs.writeFile(`${file}.lock`, 'garbage');
    const warnings: string[] = [];
    await openJournal(file, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringContaining('unreadable')]);
  });

  it('fails fast with ConfigError when the directory is missing', async () => {
    const dir = await makeTempDir();
    const missingDir = path.join(dir, 'no', 'such');
    const error = await Journal.open(path.join(missingDir, 'm.jsonl')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`manifest directory ${missingDir} does not exist`);
    expect((error as ConfigError).fix).toContain('mkdir -p');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('fails with ConfigError when the manifest is a directory', async () => {
    const dir = await makeTempDir();
    await expect(Journal.open(dir)).rejects.toThrow(ConfigError);
  });

  it.skipIf(process.getuid?.() === 0)('fails fast with ConfigError when the directory is not writable', async () => {
    const dir = await makeTempDir();
    const locked = path.join(dir, 'ro');
    await fs.mkdir(locked, { mode: 0o555 });
    await expect(Journal.open(path.join(locked, 'm.jsonl'))).rejects.toThrow(`manifest directory ${locked} is not writable`);
  });

  it('rejects an append whose write fails, cuts the partial line, and recovers', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    let fail = false;
    const { journal, index } = await openJournal(file, {
      fsyncIntervalMs: 0,
      writeHook: async (chunk) => {
        if (!fail) return fs.appendFile(file, chunk);
        await fs.appendFile(file, chunk.subarray(0, 17)); // a short write, then the disk fills up
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    });
    await journal.append(makeRow('a'));
    fail = true;
    const error = await journal.append(makeRow('b')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcrqError);
    expect(error).toBeInstanceOf(ManifestWriteError);
    expect((error as ManifestWriteError).errno).toBe('ENOSPC');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('ENOSPC');
    expect(index.has('b')).toBe(false);
    expect(journal.appended).toBe(1);
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a']);
    fail = false;
    await journal.append(makeRow('b'));
    await journal.close();
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a', 'b']);
  });

  it('keeps appending in order after a failed append among concurrent ones', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file, {
      writeHook: async (chunk) => {
        if (chunk.includes('"job-5"')) throw Object.assign(new Error('i/o error'), { code: 'EIO' });
        await fs.appendFile(file, chunk);
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => journal.append(makeRow(`job-${i}`))));
    expect(results.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(4).fill('fulfilled')]);
    await journal.close();
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(
      [0, 1, 2, 3, 4, 6, 7, 8, 9].map((i) => `job-${i}`),
    );
  });

  it('refuses rows without job_id or status, and appends after close', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file);
    await expect(journal.append({ status: 'completed' } as unknown as ManifestRow)).rejects.toThrow(/job_id/);
    await journal.close();
    await journal.close(); // idempotent
    await expect(journal.append(makeRow('a'))).rejects.toThrow(/after close/);
    expect(await fs.readFile(file, 'utf8')).toBe('');
  });

  it('writes names with newlines, quotes and invalid surrogates as one valid line each', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file);
    const odd = 'we"ird\nna,me\r=1+1\u2028\ud800.pdf';
    await journal.append(makeRow('a', 'completed', { source: odd }));
    await journal.close();
    const lines = await readLines(file);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).source).toBe(odd);
  });
});

describe('Journal group commit', () => {
  it('callers of sync() that arrive together share fsyncs, and each sync covers its caller\'s line', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const { journal } = await openJournal(file, { fsyncIntervalMs: 60_000 });
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = vi.spyOn(proto, 'sync');
    onTestFinished(() => sync.mockRestore());
    const durable: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await journal.append(makeRow(`j${i}`));
        await journal.sync();
        // Once sync() resolves, the caller's line is on disk.
        durable.push(`j${i}`);
        const text = await fs.readFile(file, 'utf8');
        expect(text).toContain(`"job_id":"j${i}"`);
      }),
    );
    expect(durable).toHaveLength(200);
    expect(sync.mock.calls.length).toBeGreaterThan(0);
    expect(sync.mock.calls.length).toBeLessThan(50);
  });

  it('syncWritten() fsyncs the rows already written without waiting for a write still running', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { journal } = await openJournal(file, {
      fsyncIntervalMs: 60_000,
      writeHook: async (chunk) => {
        if (chunk.includes('"job_id":"b"')) await held;
        await fs.appendFile(file, chunk);
      },
    });
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = vi.spyOn(proto, 'sync');
    onTestFinished(() => sync.mockRestore());
    await journal.append(makeRow('a'));
    const b = journal.append(makeRow('b'));
    await journal.syncWritten();
    expect(sync).toHaveBeenCalledTimes(1);
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a']);
    release();
    await b;
    await journal.sync();
    expect(sync).toHaveBeenCalledTimes(2);
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a', 'b']);
  });

  it('appends made while a write runs go out together in the next write', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'm.jsonl');
    const chunks: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { journal } = await openJournal(file, {
      writeHook: async (chunk) => {
        const jobs = chunk.toString('utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as ManifestRow).job_id);
        chunks.push(jobs);
        if (jobs.includes('a')) await held;
        await fs.appendFile(file, chunk);
      },
    });
    const first = journal.append(makeRow('a'));
    await vi.waitFor(() => expect(chunks).toHaveLength(1));
    const later = ['b', 'c', 'd'].map((job) => journal.append(makeRow(job)));
    release();
    await Promise.all([first, ...later]);
    expect(chunks).toEqual([['a'], ['b', 'c', 'd']]);
    expect(journal.appended).toBe(4);
    await journal.close();
    expect((await readLines(file)).map((l) => JSON.parse(l).job_id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
