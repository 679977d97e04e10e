/**
 * How a command ended, as an exit code (docs/exit-codes.md): the one place that maps a signal, --timeout, an error
 * or a run's counts to a code. Commands, `run()` and `main()` in main.ts all ask here.
 */
import { CommanderError } from 'commander';
import { ExitCode, OcrqError } from './errors.js';

export interface RunCounts {
  completed: number;
  failed: number;
  pending: number;
}

/** A run stopped before its end: by SIGINT or SIGTERM, or by --timeout running out. */
export type RunStop = 'signal:SIGINT' | 'signal:SIGTERM' | 'timeout';

/**
 * The stop an aborted command signal stands for. main.ts aborts it with the name of the signal received; any other
 * reason counts as an interrupt. Null while the signal is not aborted.
 */
export function signalStop(signal: AbortSignal): 'signal:SIGINT' | 'signal:SIGTERM' | null {
  if (!signal.aborted) return null;
  return signal.reason === 'SIGTERM' ? 'signal:SIGTERM' : 'signal:SIGINT';
}

/** 130 for SIGINT, 143 for SIGTERM, 7 for --timeout. */
export function exitCodeForStop(stop: RunStop): ExitCode {
  switch (stop) {
    case 'signal:SIGINT':
      return ExitCode.Interrupted;
    case 'signal:SIGTERM':
      return ExitCode.Terminated;
    case 'timeout':
      return ExitCode.Timeout;
  }
}

/**
 * The exit code of a finished `submit`: a signal wins; --timeout counts only with jobs still pending; otherwise
 * skipped inputs never count as failures, and a resumed run counts the failures still recorded for its inputs.
 */
export function exitCodeForRun(counts: RunCounts, stop: RunStop | null): ExitCode {
  if (stop === 'signal:SIGINT' || stop === 'signal:SIGTERM') return exitCodeForStop(stop);
  if (stop === 'timeout' && counts.pending > 0) return exitCodeForStop(stop);
  if (counts.failed === 0) return ExitCode.Ok;
  return counts.completed === 0 ? ExitCode.AllFailed : ExitCode.Partial;
}

/** Commander's ways of ending that are not mistakes. */
const COMMANDER_SUCCESSES: ReadonlySet<string> = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * The exit code of an error that ended a command: help and version are successes, any other flag mistake a usage
 * error, a known error its own code, anything else a bug (1).
 */
export function exitCodeForError(error: unknown): ExitCode {
  if (error instanceof CommanderError) return COMMANDER_SUCCESSES.has(error.code) ? ExitCode.Ok : ExitCode.Usage;
  return error instanceof OcrqError ? error.exitCode : ExitCode.Internal;
}

/** Which commands can end with a code: every command, or these. */
export type ExitCodeCommands = 'all' | readonly string[];

/**
 * Every exit code, what it means in one line, and the commands that can end with it: the one table that `--help`
 * prints from and that test/exit-code.test.ts checks docs/exit-codes.md against.
 */
export const EXIT_CODES: ReadonlyArray<{ code: ExitCode; meaning: string; commands: ExitCodeCommands }> = [
  { code: ExitCode.Ok, meaning: 'success (every document completed; a dry run; the signature is valid)', commands: 'all' },
  { code: ExitCode.Internal, meaning: 'internal error: a bug, please report it', commands: 'all' },
  { code: ExitCode.Usage, meaning: 'usage or configuration error: a bad flag, variable or config value, a path, a locked or corrupt manifest', commands: 'all' },
  { code: ExitCode.Partial, meaning: 'partial: some documents failed, the others completed', commands: ['submit', 'merge'] },
  { code: ExitCode.AllFailed, meaning: 'every document failed', commands: ['submit', 'merge'] },
  { code: ExitCode.Auth, meaning: 'the provider rejected the credentials (401 or 403)', commands: ['submit'] },
  { code: ExitCode.BadSignature, meaning: 'invalid signature', commands: ['verify-signature'] },
  { code: ExitCode.Timeout, meaning: '--timeout ran out with jobs still pending (they stay submitted)', commands: ['submit', 'listen', 'merge'] },
  { code: ExitCode.Interrupted, meaning: 'interrupted by SIGINT; the manifest is flushed, the next run resumes', commands: ['submit', 'listen', 'merge', 'verify-signature'] },
  { code: ExitCode.Terminated, meaning: 'terminated by SIGTERM; the same', commands: ['submit', 'listen', 'merge', 'verify-signature'] },
];

/** The exit codes `command` can end with. */
export function exitCodesOf(command: string): typeof EXIT_CODES {
  return EXIT_CODES.filter((e) => e.commands === 'all' || e.commands.includes(command));
}
