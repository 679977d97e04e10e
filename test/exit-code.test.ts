import { describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/exit-code.js';

describe('exitCodeForRun', () => {
  it.each([
    [{ completed: 5, failed: 0, pending: 0 }, null, 0],
    [{ completed: 0, failed: 0, pending: 0 }, null, 0],
    [{ completed: 4, failed: 1, pending: 0 }, null, 3],
    [{ completed: 0, failed: 2, pending: 0 }, null, 4],
    [{ completed: 1, failed: 0, pending: 3 }, 'timeout', 7],
    [{ completed: 1, failed: 1, pending: 3 }, 'signal:SIGINT', 130],
    [{ completed: 1, failed: 0, pending: 0 }, 'signal:SIGTERM', 143],
  ] as const)('%j stopped by %s → %i', (counts, stop, code) => {
    expect(exitCodeForRun(counts, stop)).toBe(code);
  });
});
