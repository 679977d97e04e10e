/**
 * Secrets given as flags: `--NAME-file FILE` (or `-` for standard input) or `--NAME VALUE`. Files keep secrets out
 * of the process list, where a flag's value is visible to every local user.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readStdinValue } from '../config/stdin-value.js';
import { UsageError } from '../errors.js';
import type { CommandDeps } from './deps.js';

/** A secret from a file, or standard input for `-`: the file's content without its final newline. */
async function secretFromFile(file: string, flag: string, deps: CommandDeps): Promise<string> {
  let text: string;
  try {
    text = file === '-' ? await readStdinValue(deps.stdin) : await readFile(path.resolve(deps.cwd, file), 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`${flag} ${file}: cannot read it (${reason})`, 'pass a readable file that holds only the secret, or - to read it from standard input');
  }
  const value = text.replace(/\r?\n$/u, '');
  if (value.trim() === '') throw new UsageError(`${flag} ${file}: it holds no secret`, 'put the secret in the file, on one line');
  return value;
}

/**
 * The secret of a command: `--NAME-file` (or stdin), else the flag itself, which prints a one-line notice that other
 * local users can read it in the process list, unless `quiet` (-q: errors only). Undefined when neither is given (the
 * environment or config decide).
 */
export async function secretOption(value: string | undefined, file: string | undefined, flag: string, deps: CommandDeps, quiet = false): Promise<string | undefined> {
  if (value !== undefined && file !== undefined) throw new UsageError(`${flag} and ${flag}-file cannot be combined`, 'use one of them');
  if (file !== undefined) return secretFromFile(file, `${flag}-file`, deps);
  if (value !== undefined && !quiet) {
    deps.stderr.write(`ocrq: note: ${flag} on the command line is visible to other local users in the process list; prefer ${flag}-file, an environment variable or the config file\n`);
  }
  return value;
}
