/** `ocrq COMMAND --help` is a reference: defaults in human units, examples, the variables it reads, its exit codes. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, settingsOf, type CommandName } from '../../src/config/settings.js';
import { exitCodesOf } from '../../src/exit-code.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir, REPO_ROOT } from '../helpers/tmp.js';
import { settingsMarkdown } from '../../src/commands/help.js';

const COMMANDS: CommandName[] = ['submit', 'export', 'status', 'repair', 'merge', 'listen', 'verify-signature', 'config', 'completion'];

async function help(command: string): Promise<string> {
  const r = await spawnOcrq([command, '--help'], { cwd: process.cwd() }).exited;
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('ocrq COMMAND --help (spawned)', () => {
  it.each(COMMANDS)('%s shows examples, the variables it reads and its exit codes', async (command) => {
    const text = await help(command);
    const examples = text.split('\nExamples:\n')[1]?.split('\n\n')[0] ?? '';
    expect(examples.split('\n').filter((l) => l.startsWith(`  $ `)).length).toBeGreaterThan(0);
    expect(text).toContain('\nEnvironment:\n');
    for (const s of settingsOf(command)) expect(text).toMatch(new RegExp(`^  ${envName(s.name)} +--${s.name}`, 'm'));
    const codes = text.split('\nExit codes (docs/exit-codes.md):\n')[1];
    expect(codes.trim().split('\n').map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual(exitCodesOf(command).map((e) => e.code));
    // Never a default that only a programmer reads.
    expect(text).not.toContain('default: []');
  });

  it('submit shows its defaults in the units its flags take', async () => {
    const text = (await help('submit')).replace(/\s+/g, ' ');
    expect(text).toContain('skip documents larger than this (default: 50MiB)');
    expect(text).toContain('poll a job that has had no webhook for this long (default: 60s)');
    expect(text).toContain('memory budget of one document worker (default: 896MiB)');
    expect(text).toContain('(default: number of CPUs)');
    expect(text).toContain('OCRQ_API_KEY');
    expect(text).toContain('OCRQ_TESSERACT');
    expect(text).not.toMatch(/52428800|60000/);
    const listen = (await help('listen')).replace(/\s+/g, ' ');
    expect(listen).toContain('port to listen on (0 = any free port) (default: 8787)');
    expect(listen).toContain('OCRQ_WEBHOOK_SECRET');
  });

  it('export -o writes the file, and its old name --output still does but is not shown', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'm.jsonl'), '');
    for (const flag of ['-o', '--out', '--output']) {
      const r = await spawnOcrq(['export', 'm.jsonl', '--format', 'csv', flag, `x${flag}.csv`], { cwd: dir }).exited;
      expect(r.code, r.stderr).toBe(0);
      expect(await fs.readFile(path.join(dir, `x${flag}.csv`), 'utf8')).toMatch(/^job_id,/);
    }
    const text = await help('export');
    expect(text).toMatch(/-o, --out <file>/);
    expect(text).not.toContain('--output');
  });
});

describe('README', () => {
  it('holds the settings table as generated from src/config/settings.ts', async () => {
    const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const between = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme);
    expect(between?.[1]).toBe(settingsMarkdown());
  });
});
