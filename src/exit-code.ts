import { ExitCode } from './errors.js';

export interface RunCounts {
  completed: number;
  failed: number;
  pending: number;
}

/**
 * The exit code of a finished `submit` (docs/exit-codes.md): skipped inputs never count as failures, and a
 * resumed run counts the failures still recorded for its inputs.
 */
export function exitCodeForRun(counts: RunCounts, stop: 'signal:SIGINT' | 'signal:SIGTERM' | 'timeout' | null): ExitCode {
  if (stop === 'signal:SIGINT') return ExitCode.Interrupted;
  if (stop === 'signal:SIGTERM') return ExitCode.Terminated;
  if (stop === 'timeout' && counts.pending > 0) return ExitCode.Timeout;
  if (counts.failed === 0) return ExitCode.Ok;
  return counts.completed === 0 ? ExitCode.AllFailed : ExitCode.Partial;
}
