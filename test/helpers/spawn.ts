import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from './tmp.js';

export const BIN = path.join(REPO_ROOT, 'bin', 'ocrq.js');

export interface Spawned {
  child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number) and the full outputs. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Calls back on each stdout line as it arrives. */
  onLine(fn: (line: string) => void): void;
}

/** Runs the built CLI (`bin/ocrq.js` → `dist/`) as a real process with pipes for stdout and stderr (and stdin if asked). */
export function spawnOcrq(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' }): Spawned {
  const env = { ...process.env, ...options.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: Array<(line: string) => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += line + '\n';
    for (const fn of listeners) fn(line);
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited, onLine: (fn) => listeners.push(fn) };
}
