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

/**
 * A run stopped before its end: by SIGINT or SIGTERM, by the reader of its output going away (SIGPIPE: Node does not
 * die of it, main.ts stops the run instead), or by --timeout running out.
 */
export type RunStop = SignalStop | 'timeout';
export type SignalStop = 'signal:SIGINT' | 'signal:SIGTERM' | 'signal:SIGPIPE';

/**
 * The stop an abort reason stands for. main.ts aborts the command signal with the name of the signal received, or
 * SIGPIPE when stdout's or stderr's reader went away; any other reason counts as an interrupt.
 */
export function stopForReason(reason: unknown): SignalStop {
  return reason === 'SIGTERM' ? 'signal:SIGTERM' : reason === 'SIGPIPE' ? 'signal:SIGPIPE' : 'signal:SIGINT';
}

/** The stop an aborted command signal stands for (stopForReason); null while the signal is not aborted. */
export function signalStop(signal: AbortSignal): SignalStop | null {
  return signal.aborted ? stopForReason(signal.reason) : null;
}

/** Whether a run was stopped by a signal (or a closed pipe), rather than ending or timing out. */
export function isSignalStop(stop: RunStop | 'done' | null): stop is SignalStop {
  return stop === 'signal:SIGINT' || stop === 'signal:SIGTERM' || stop === 'signal:SIGPIPE';
}

/** 130 for SIGINT, 143 for SIGTERM, 141 for a closed pipe, 7 for --timeout. */
export function exitCodeForStop(stop: RunStop): ExitCode {
  switch (stop) {
    case 'signal:SIGINT':
      return ExitCode.Interrupted;
    case 'signal:SIGTERM':
      return ExitCode.Terminated;
    case 'signal:SIGPIPE':
      return ExitCode.ClosedPipe;
    case 'timeout':
      return ExitCode.Timeout;
  }
}

/**
 * The exit code of a finished `submit`: a signal wins; --timeout counts only with jobs still pending; otherwise
 * skipped inputs never count as failures, and a resumed run counts the failures still recorded for its inputs.
 */
export function exitCodeForRun(counts: RunCounts, stop: RunStop | null): ExitCode {
  if (isSignalStop(stop)) return exitCodeForStop(stop);
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
  { code: ExitCode.Usage, meaning: 'usage or configuration error: a bad flag, variable or config value, a path, a locked or corrupt manifest, an output that cannot be written', commands: 'all' },
  { code: ExitCode.Partial, meaning: 'partial: some documents failed, the others completed', commands: ['submit', 'merge'] },
  { code: ExitCode.AllFailed, meaning: 'every document failed', commands: ['submit', 'merge'] },
  { code: ExitCode.Auth, meaning: 'the provider rejected the credentials (401 or 403)', commands: ['submit'] },
  { code: ExitCode.BadSignature, meaning: 'invalid signature', commands: ['verify-signature'] },
  { code: ExitCode.Timeout, meaning: '--timeout ran out with jobs still pending (they stay submitted)', commands: ['submit', 'listen', 'merge'] },
  { code: ExitCode.Interrupted, meaning: 'interrupted by SIGINT; the manifest is flushed, the next run resumes', commands: ['submit', 'listen', 'merge', 'verify-signature'] },
  { code: ExitCode.ClosedPipe, meaning: "stdout's (or stderr's) reader went away (a closed pipe, as with `| head`); the manifest is flushed, the next run resumes", commands: ['submit', 'listen', 'merge', 'verify-signature'] },
  { code: ExitCode.Terminated, meaning: 'terminated by SIGTERM; as with SIGINT, the manifest is flushed and the next run resumes', commands: ['submit', 'listen', 'merge', 'verify-signature'] },
];

/** The exit codes `command` can end with. */
export function exitCodesOf(command: string): typeof EXIT_CODES {
  return EXIT_CODES.filter((e) => e.commands === 'all' || e.commands.includes(command));
}
