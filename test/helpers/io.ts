import { PassThrough, Readable } from 'node:stream';
import type { CommandDeps } from '../../src/commands/deps.js';

export interface CapturedIo {
  deps: CommandDeps;
  stdout: () => string;
  stderr: () => string;
  abort: (reason: string) => void;
}

/** In-memory streams and a controllable signal, for in-process runs of commands. */
export function captureIo(cwd: string, overrides: Partial<CommandDeps> = {}): CapturedIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const controller = new AbortController();
  return {
    deps: {
      cwd,
      env: { ...process.env, CI: '1' },
      stdin: Readable.from([]),
      stdout,
      stderr,
      signal: controller.signal,
      now: () => Date.now(),
      ...overrides,
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    abort: (reason) => controller.abort(reason),
  };
}
