import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/http/pacing/limiter.js';
import { ARRIVAL_JITTER_MS, DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RPS, RATE_MARGIN, limiterOptions } from '../../../src/http/pacing/policy.js';

describe('pacing policy', () => {
  it('schedules RATE_MARGIN under --rps and caps starts at rps + burst per second plus the arrival jitter', () => {
    expect(limiterOptions({ rps: 10, burst: 3, concurrency: 4 })).toEqual({
      rps: 10 * RATE_MARGIN,
      burst: 3,
      concurrency: 4,
      cap: { starts: 13, ms: 1000 + ARRIVAL_JITTER_MS },
    });
    // A fractional rate rounds the cap down: never more starts than the provider allows.
    expect(limiterOptions({ rps: 0.5, burst: 1, concurrency: 1 }).cap).toEqual({ starts: 1, ms: 1020 });
  });

  it('builds a limiter from the defaults', () => {
    const limiter = new RateLimiter(limiterOptions({ rps: DEFAULT_RPS, burst: DEFAULT_BURST, concurrency: DEFAULT_CONCURRENCY }));
    expect(limiter.rps).toBeCloseTo(DEFAULT_RPS * RATE_MARGIN, 10);
    expect(limiter.burst).toBe(DEFAULT_BURST);
    expect(limiter.concurrency).toBe(DEFAULT_CONCURRENCY);
  });
});
