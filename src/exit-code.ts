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
