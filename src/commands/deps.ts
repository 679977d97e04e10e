import type { Readable, Writable } from 'node:stream';

/**
 * Everything a command touches outside its arguments. Each defaults to the real one in main.ts;
 * tests pass their own.
 */
export interface CommandDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  /** Data only (manifest rows, NDJSON events, exported CSV). */
  stdout: Writable & { isTTY?: boolean };
  /** Logs, progress, warnings. */
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Aborted on SIGINT/SIGTERM: stop starting new work, flush, return. */
  signal: AbortSignal;
  now: () => number;
}
