import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

async function smallCorpus(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'docs'));
  await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), path.join(dir, 'docs/invoice.png'));
  await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'docs/born-digital.pdf'));
  await fs.copyFile(path.join(FIXTURES, 'misc/notes.txt'), path.join(dir, 'docs/notes.txt'));
}

describe('output channels (spawned ocrq)', () => {
  it('without a terminal: plain lines on stderr, no control codes, nothing on stdout', async () => {
    const dir = await makeTempDir();
    await smallCorpus(dir);
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: undefined };
    delete env.CI;
    const r = await spawnOcrq(['submit', 'docs', '--workers', '1'], { cwd: dir, env }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(new RegExp(String.fromCharCode(27) + '\\['));
    expect(r.stderr).toMatch(/3 documents from 3 inputs: 2 completed, 0 failed, 1 skipped/);
  });

  it('--quiet prints nothing on success; a usage error is one line and exit 2', async () => {
    const dir = await makeTempDir();
    await smallCorpus(dir);
    const q = await spawnOcrq(['submit', 'docs', '--quiet', '--workers', '1'], { cwd: dir }).exited;
    expect(q.code).toBe(0);
    expect(q.stdout + q.stderr).toBe('');
    const bad = await spawnOcrq(['submit', 'no-such-dir'], { cwd: dir }).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ocrq: error: no-such-dir: no such file or directory\nocrq: fix: /);
  });

  it('on a terminal (pty via script(1)), draws a progress bar on stderr', async () => {
    const dir = await makeTempDir();
    await smallCorpus(dir);
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.CI;
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} submit docs --workers 1`;
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/documents \| \d+ pages/);
    expect(r.stdout).toMatch(new RegExp(String.fromCharCode(27) + '\\['));
    // Documents done of the 3 the walk found, pages, rate and time left.
    expect(r.stdout).toMatch(/\d\/3 documents \| \d+ pages \| \d+\.\d pages\/s \| ETA /);
  });

  it.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }, []],
    ['--no-color (over FORCE_COLOR)', { FORCE_COLOR: '3' }, ['--no-color']],
  ] as const)('on a terminal with %s: the bar and the summary without a single escape code', async (_name, extraEnv, flags) => {
    const dir = await makeTempDir();
    await smallCorpus(dir);
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extraEnv };
    delete env.CI;
    const cmd = [process.execPath, BIN, 'submit', 'docs', '--workers', '1', ...flags].map((a) => JSON.stringify(a)).join(' ');
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout.includes(String.fromCharCode(27)), JSON.stringify(r.stdout)).toBe(false);
    // Redrawn in place with carriage returns.
    expect(r.stdout).toMatch(/\r \S+ \d\/3 documents \| \d+ pages \| \d+\.\d pages\/s \| ETA /);
    expect(r.stdout).toMatch(/ocrq: 3 documents from 3 inputs: 2 completed, 0 failed, 1 skipped/);
  });

  it('without a terminal, the plain line says how many documents the walk found and how long is left', async () => {
    const dir = await makeTempDir();
    await smallCorpus(dir);
    const env: NodeJS.ProcessEnv = { ...process.env, OCRQ_PROGRESS_INTERVAL_MS: '100' };
    delete env.CI;
    const r = await spawnOcrq(['submit', 'docs', '--workers', '1'], { cwd: dir, env }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ocrq: \d\/3 documents \(walk done\), \d+ pages?, \d+\.\d pages\/s, about \d+(s|m) left$/m);
    expect(r.stderr).not.toContain(String.fromCharCode(27));
  });
});
