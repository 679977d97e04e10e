import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, defaultRunners } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';
import { BIN, spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir, REPO_ROOT } from '../helpers/tmp.js';

const has = (shell: string): boolean => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

async function script(shell: string): Promise<string> {
  const r = await spawnOcrq(['completion', shell], { cwd: REPO_ROOT }).exited;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** Runs the bash completion function on a command line whose last word is being completed. */
function bashComplete(file: string, line: string[]): string[] {
  const words = line.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _ocrq; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('ocrq completion (spawned)', () => {
  it('covers every command and every flag that --help shows, for each shell', async () => {
    const program = buildProgram(captureIo('/').deps, defaultRunners, () => {});
    for (const shell of ['bash', 'zsh', 'fish']) {
      const text = await script(shell);
      for (const command of program.commands) {
        expect(text, `${shell}: ${command.name()}`).toContain(command.name());
        for (const option of command.options) {
          const long = option.long!;
          const completed = shell === 'fish' ? `-l ${long.slice(2)} ` : long;
          // A hidden alias (export --output, the old name of --out) is neither shown nor completed.
          if (option.hidden) expect(text, `${shell}: ${command.name()} ${long}`).not.toContain(completed);
          else expect(text, `${shell}: ${command.name()} ${long}`).toContain(completed);
        }
      }
    }
    const bad = await spawnOcrq(['completion', 'powershell'], { cwd: REPO_ROOT }).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("ocrq: error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n");
  });

  it('bash completes commands, flags, choices and files', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'ocrq.bash');
    await fs.writeFile(file, await script('bash'));
    expect(bashComplete(file, ['ocrq', 'ex'])).toEqual(['export']);
    expect(bashComplete(file, ['ocrq', 're'])).toEqual(['repair']);
    expect(bashComplete(file, ['ocrq', 'export', '--fo'])).toEqual(['--format']);
    expect(bashComplete(file, ['ocrq', 'export', '--format', ''])).toEqual(['csv', 'jsonl']);
    expect(bashComplete(file, ['ocrq', 'submit', '--provider', 'l'])).toEqual(['leapocr']);
    expect(bashComplete(file, ['ocrq', 'listen', '--provider', 'a'])).toEqual(['auto']);
    expect(bashComplete(file, ['ocrq', 'config', ''])).toEqual(['get', 'set', 'unset', 'list', 'path']);
    expect(bashComplete(file, ['ocrq', 'submit', '--rps', ''])).toEqual([]);
    expect(bashComplete(file, ['ocrq', 'submit', '--dry-r'])).toEqual(['--dry-run']);
    expect(bashComplete(file, ['ocrq', 'submit', path.join(dir, 'ocrq.b')])).toEqual([file]);
    expect(bashComplete(file, ['ocrq', 'completion', 'z'])).toEqual(['zsh']);
  });

  it.skipIf(!has('zsh'))('zsh: the script parses', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, '_ocrq'), await script('zsh'));
    const r = spawnSync('zsh', ['-n', path.join(dir, '_ocrq')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!has('fish'))('fish completes commands, flags and choices', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'ocrq.fish');
    await fs.writeFile(file, await script('fish'));
    const complete = (line: string): string[] => {
      const r = spawnSync('fish', ['-c', `source ${file}; complete -C'${line}'`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    expect(complete('ocrq exp')).toEqual(['export']);
    expect(complete('ocrq export --format ')).toEqual(['csv', 'jsonl']);
    expect(complete('ocrq submit --provider q')).toEqual(['qomplement']);
  });

  it('the script is what the binary prints, so sourcing it works from a clean shell', () => {
    const r = spawnSync('bash', ['-c', `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} completion bash); complete -p ocrq`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('complete -o filenames -F _ocrq ocrq');
  });
});
