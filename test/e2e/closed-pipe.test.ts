/**
 * A reader of ocrq's output that goes away (`ocrq … | head`), with the real process and a real pipe whose reading
 * end the test closes: a long command stops as on a signal and exits 141, a short one ends with its own code, and
 * neither prints a stack trace (docs/exit-codes.md). An output that cannot be written at all (`> /dev/full`, a full
 * disk) stops the run the same way and ends it with 2 and one line saying so.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fold, readRows } from '../helpers/manifest.js';
import { BIN, spawnOcrq, type Spawned } from '../helpers/spawn.js';
import { makeTempDir } from '../helpers/tmp.js';
import { setupMany, summaryOf } from '../remote/remote-setup.js';

const CLOSED_PIPE = 141;

/** Closes the test's end of the child's stdout once the first line has arrived, as `| head -1` does. */
function closeStdoutAfterFirstLine(run: Spawned): Promise<string> {
  return new Promise((resolve) => {
    let first: string | undefined;
    run.onLine((line) => {
      if (first !== undefined) return;
      first = line;
      run.child.stdout!.destroy();
      resolve(line);
    });
  });
}

/** What a closed pipe must never leave on stderr. */
function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/internal error|EPIPE|Unhandled|^\s+at /m);
}

/** The manifest holds whole lines only: each parses, and the file (when not empty) ends with a newline. */
async function expectWholeLines(file: string): Promise<Awaited<ReturnType<typeof readRows>>> {
  const text = await fs.readFile(file, 'utf8');
  if (text !== '') expect(text.endsWith('\n')).toBe(true);
  return readRows(file);
}

describe('a closed pipe on stdout or stderr (spawned ocrq)', () => {
  it('submit - --dry-run --json | head -1: stops quietly with 141 and writes no manifest', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'notes'));
    const names = Array.from({ length: 600 }, (_, i) => `notes/n${i}.txt`);
    await Promise.all(names.map((name, i) => fs.writeFile(path.join(dir, name), `note ${i}\n`)));
    // Paths on stdin, which stays open: the run cannot end by itself, only by the stop.
    const run = spawnOcrq(['submit', '-', '--dry-run', '--json', '--out', 'm.jsonl'], { cwd: dir, stdin: 'pipe' });
    const stdin = run.child.stdin!;
    stdin.on('error', () => {});
    onTestFinished(() => void stdin.end());
    stdin.write(names.slice(0, 300).join('\n') + '\n');
    expect(JSON.parse(await closeStdoutAfterFirstLine(run))).toMatchObject({ type: 'start', dry_run: true });
    // Output for these is written after the reader has gone.
    stdin.write(names.slice(300).join('\n') + '\n');
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(CLOSED_PIPE);
    expect(r.stderr).toBe('');
    await expect(fs.access(path.join(dir, 'm.jsonl'))).rejects.toThrow();
  });

  it('submit --json to a provider, stdout closed after the first line: documents in flight finish, the manifest is whole, the next run resumes', async () => {
    const n = 30;
    const { dir, fake, args } = await setupMany(n, { latencyMs: 30 });
    // Two at a time, each answer 30 ms late: the run is still going when the reader leaves.
    const paced = [...args, '--rps', '200', '--concurrency', '2'];
    const first = spawnOcrq(paced, { cwd: dir });
    expect(JSON.parse(await closeStdoutAfterFirstLine(first))).toMatchObject({ type: 'start' });
    const r1 = await first.exited;
    expect(r1.code, r1.stderr).toBe(CLOSED_PIPE);
    expectNoCrash(r1.stderr);
    const manifest = path.join(dir, 'm.jsonl');
    const completedFirst = [...fold(await expectWholeLines(manifest)).values()].filter((row) => row.status === 'completed').length;
    expect(completedFirst).toBeLessThan(n);

    const second = await spawnOcrq(paced, { cwd: dir }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ type: 'summary', completed: n, failed: 0, already_done: completedFirst, interrupted: false });
    // Nothing was sent twice: jobs the first run had submitted were polled, not submitted again.
    expect([...fake.submissionsByContent.values()].every((count) => count === 1)).toBe(true);
    expect([...fold(await expectWholeLines(manifest)).values()].filter((row) => row.status === 'completed')).toHaveLength(n);
  });

  it('submit with stderr closed (progress lines with nobody to read them): stops with 141, and the next run resumes', async () => {
    const n = 20;
    const { dir, fake, args } = await setupMany(n, { latencyMs: 30 });
    // The key from the environment: the note about --api-key would be the first line on stderr, before any work.
    const keyAt = args.indexOf('--api-key');
    const plain = [...args.slice(0, keyAt), ...args.slice(keyAt + 2).filter((a) => a !== '--json'), '--rps', '200', '--concurrency', '2'];
    const env = { OCRQ_API_KEY: fake.apiKey, OCRQ_PROGRESS_INTERVAL_MS: '1' };
    const first = spawnOcrq(plain, { cwd: dir, env });
    first.child.stderr!.destroy();
    const r1 = await first.exited;
    expect(r1.code).toBe(CLOSED_PIPE);
    expect(r1.stdout).toBe('');
    const completedFirst = [...fold(await expectWholeLines(path.join(dir, 'm.jsonl'))).values()].filter((row) => row.status === 'completed').length;
    expect(completedFirst).toBeLessThan(n);

    const second = await spawnOcrq([...plain, '--json'], { cwd: dir, env }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ completed: n, failed: 0, already_done: completedFirst });
    expect([...fake.submissionsByContent.values()].every((count) => count === 1)).toBe(true);
  });

  it('listen --json | head -1: the next event after the reader left stops it with 141; the delivery is stored', async () => {
    const dir = await makeTempDir();
    const secret = 'whsec_closed_pipe';
    const listener = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--out', 'm.jsonl', '--json'], { cwd: dir, env: { OCRQ_WEBHOOK_SECRET: secret } });
    const ready = JSON.parse(await closeStdoutAfterFirstLine(listener)) as { type: string; url: string };
    expect(ready.type).toBe('ready');
    const body = JSON.stringify({ data: { document: { markdown: 'hello' } }, event_id: 'evt_1', event_type: 'extraction.completed', job_id: 'job_1', timestamp: '2026-05-14T12:00:08Z' });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const answer = await fetch(`${ready.url}/hooks/ocrq`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'ocrqueen-signature': signature, 'ocrqueen-event': 'extraction.completed' } });
    expect(answer.status).toBeLessThan(300);
    const r = await listener.exited;
    expect(r.code, r.stderr).toBe(CLOSED_PIPE);
    expectNoCrash(r.stderr);
    expect(await expectWholeLines(path.join(dir, 'm.jsonl'))).toMatchObject([{ job_id: 'job_1', status: 'completed' }]);
  });

  it.each([
    ['status --json', ['status', 'm.jsonl', '--json']],
    ['status', ['status', 'm.jsonl']],
    ['export', ['export', 'm.jsonl']],
    ['export --format csv', ['export', 'm.jsonl', '--format', 'csv']],
    ['--help', ['--help']],
  ])('%s with nobody reading: ends quietly with its own code (0)', async (_name, command) => {
    const dir = await makeTempDir();
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ v: 1, type: 'job', job_id: `sha256:${i.toString(16).padStart(64, '0')}`, status: 'completed', source: `d${i}.png`, text: `text of document ${i} `.repeat(8) }));
    await fs.writeFile(path.join(dir, 'm.jsonl'), rows.join('\n') + '\n');
    const run = spawnOcrq(command, { cwd: dir });
    run.child.stdout!.destroy();
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

/** Runs ocrq with its stdout on /dev/full, where every write fails with ENOSPC, as on a full disk. */
function runToFullDevice(args: string[], options: { cwd: string }): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const FULL_DEVICE_ERROR = /^ocrq: error: cannot write to standard output: ENOSPC: no space left on device, write\nocrq: fix: make room on that device or send the output elsewhere \(a run stopped by it has flushed its manifest, and resumes when run again\)\n$/;

describe.skipIf(!existsSync('/dev/full'))('standard output on a full device (spawned ocrq, > /dev/full)', () => {
  it('submit --json: stops as on a signal, says why in one line, exits 2; the manifest is whole and the next run resumes', async () => {
    const n = 20;
    const { dir, fake, args } = await setupMany(n, { latencyMs: 30 });
    const paced = [...args, '--rps', '200', '--concurrency', '2'];
    const first = await runToFullDevice(paced, { cwd: dir });
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr.replace(/^ocrq: note: .*\n/gm, '')).toMatch(FULL_DEVICE_ERROR);
    const completedFirst = [...fold(await expectWholeLines(path.join(dir, 'm.jsonl'))).values()].filter((row) => row.status === 'completed').length;
    expect(completedFirst).toBeLessThan(n);

    const second = await spawnOcrq(paced, { cwd: dir }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ completed: n, failed: 0, already_done: completedFirst });
    expect([...fake.submissionsByContent.values()].every((count) => count === 1)).toBe(true);
  });

  it.each([
    ['status', ['status', 'm.jsonl']],
    ['export', ['export', 'm.jsonl']],
    ['--help', ['--help']],
  ])('%s: exit 2 with the one-line error, never a stack trace', async (_name, command) => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'm.jsonl'), JSON.stringify({ job_id: 'local_1', status: 'completed', source: 'a.png', sha256: 'a'.repeat(64), target: 'local', ts: '2026-12-06T00:00:00.000Z', text: 'hello' }) + '\n');
    const r = await runToFullDevice(command, { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(FULL_DEVICE_ERROR);
  });
});
