/** `--json` and `--quiet` on every command that prints something (spawned ocrq). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, defaultRunners } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';
import { BIN } from '../helpers/spawn.js';
import { makeTempDir } from '../helpers/tmp.js';
import { GITHUB } from '../signature/vectors.js';

function ocrq(args: string[], options: { cwd?: string; input?: Buffer; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, input: options.input, encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ROW = { v: 1, type: 'job', job_id: 'sha256:' + 'a'.repeat(64), status: 'completed', source: 'a.png', text: 'hi' };

describe('--json and --quiet (spawned ocrq)', () => {
  it('exist on every command that prints output (completion prints a script and is exempt)', () => {
    const program = buildProgram(captureIo('/').deps, defaultRunners, () => {});
    for (const command of program.commands.filter((c) => c.name() !== 'completion')) {
      const longs = command.options.map((o) => o.long);
      expect(longs, command.name()).toContain('--json');
      expect(longs, command.name()).toContain('--quiet');
      expect(command.options.find((o) => o.long === '--quiet')?.short, command.name()).toBe('-q');
    }
  });

  it('verify-signature --json prints the result as JSON, -q nothing: the exit code answers', () => {
    // The secret from its variable: --secret on the command line earns a note about the process list.
    const args = ['verify-signature', '--signature', `sha256=${GITHUB.hex}`];
    const env = { OCRQ_WEBHOOK_SECRET: GITHUB.secret };
    expect(ocrq([...args, '--json'], { input: GITHUB.body, env })).toMatchObject({ code: 0, stdout: '{"valid":true}\n' });
    expect(ocrq([...args, '-q'], { input: GITHUB.body, env })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const flipped = Buffer.from(GITHUB.body);
    flipped[0] ^= 1;
    expect(ocrq([...args, '--json'], { input: flipped, env })).toMatchObject({ code: 6, stdout: '{"valid":false,"reason":"wrong signature"}\n' });
    expect(ocrq([...args, '--quiet'], { input: flipped, env })).toMatchObject({ code: 6, stdout: '', stderr: '' });
    expect(ocrq([...args, '--json', '-q'], { input: GITHUB.body, env }).code).toBe(2);
  });

  it('status -q prints nothing for a manifest that reads, and the error for one that does not', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'm.jsonl'), JSON.stringify(ROW) + '\n');
    expect(ocrq(['status', 'm.jsonl', '-q'], { cwd: dir })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await fs.writeFile(path.join(dir, 'bad.jsonl'), '{not json\n' + JSON.stringify(ROW) + '\n');
    const bad = ocrq(['status', 'bad.jsonl', '-q'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ocrq: error: /);
  });

  it('export --json with -o prints a summary; without -o it is refused (stdout holds the export)', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'm.jsonl'), JSON.stringify(ROW) + '\n');
    const r = ocrq(['export', 'm.jsonl', '-o', 'x.jsonl', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ jobs: 1, output: 'x.jsonl' });
    const refused = ocrq(['export', 'm.jsonl', '--json'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add -o FILE/);
  });

  it('config -q keeps the confirmation off stderr; a value asked for still prints', async () => {
    const dir = await makeTempDir();
    const env = { OCRQ_CONFIG_DIR: dir };
    expect(ocrq(['config', 'set', 'defaults.dpi', '200'], { env }).stderr).toMatch(/set defaults\.dpi = 200/);
    expect(ocrq(['config', 'set', 'defaults.dpi', '250', '-q'], { env })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(ocrq(['config', 'get', 'defaults.dpi', '-q'], { env })).toMatchObject({ code: 0, stdout: '250\n', stderr: '' });
    // Not quiet: the variable that overrides the stored value is named.
    expect(ocrq(['config', 'get', 'defaults.dpi'], { env: { ...env, OCRQ_DPI: '150' } }).stderr).toMatch(/OCRQ_DPI is set in the environment and takes precedence over defaults\.dpi/);
  });
});
