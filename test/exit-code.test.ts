import { describe, expect, it } from 'vitest';
import { exitCodeForRun, exitCodeForStop, isSignalStop, signalStop } from '../src/exit-code.js';

describe('exitCodeForRun', () => {
  it.each([
    [{ completed: 5, failed: 0, pending: 0 }, null, 0],
    [{ completed: 0, failed: 0, pending: 0 }, null, 0],
    [{ completed: 4, failed: 1, pending: 0 }, null, 3],
    [{ completed: 0, failed: 2, pending: 0 }, null, 4],
    [{ completed: 1, failed: 0, pending: 3 }, 'timeout', 7],
    [{ completed: 1, failed: 1, pending: 3 }, 'signal:SIGINT', 130],
    [{ completed: 1, failed: 0, pending: 0 }, 'signal:SIGTERM', 143],
    [{ completed: 1, failed: 1, pending: 2 }, 'signal:SIGPIPE', 141],
  ] as const)('%j stopped by %s → %i', (counts, stop, code) => {
    expect(exitCodeForRun(counts, stop)).toBe(code);
  });
});

describe('signalStop', () => {
  it.each([
    ['SIGINT', 'signal:SIGINT', 130],
    ['SIGTERM', 'signal:SIGTERM', 143],
    // main.ts aborts with SIGPIPE when the reader of stdout or stderr went away.
    ['SIGPIPE', 'signal:SIGPIPE', 141],
    // Any other reason counts as an interrupt.
    [new Error('other'), 'signal:SIGINT', 130],
  ] as const)('an abort for %s is %s, exit %i', (reason, stop, code) => {
    const controller = new AbortController();
    expect(signalStop(controller.signal)).toBeNull();
    controller.abort(reason);
    expect(signalStop(controller.signal)).toBe(stop);
    expect(isSignalStop(stop)).toBe(true);
    expect(exitCodeForStop(stop)).toBe(code);
  });

  it('a timeout or a finished run is no signal stop', () => {
    expect(isSignalStop('timeout')).toBe(false);
    expect(isSignalStop('done')).toBe(false);
    expect(isSignalStop(null)).toBe(false);
  });
});
