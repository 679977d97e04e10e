/**
 * The one monotonic clock: what the rate limiter and the remote target measure and sleep with. Tests pass their own
 * `Clock` to run in virtual time.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic scale. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout cannot wait longer than this; longer waits are re-armed. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      // Rounded up: Node's millisecond timer may otherwise fire a fraction of a millisecond early.
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.ceil(Math.min(MAX_TIMER_MS, Math.max(0, ms))),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
