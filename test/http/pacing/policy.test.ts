import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/http/pacing/limiter.js';
import { ARRIVAL_JITTER_MS, DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RPS, RATE_MARGIN, limiterOptions, shareOfBudget } from '../../../src/http/pacing/policy.js';

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

describe('shareOfBudget (--shard K/N with --shard-budget total)', () => {
  it('gives each shard rps / N, and burst and concurrency divided and rounded up to at least 1', () => {
    expect(shareOfBudget({ rps: 5, burst: 1, concurrency: 8 }, 4)).toEqual({ rps: 1.25, burst: 1, concurrency: 2 });
    expect(shareOfBudget({ rps: 6, burst: 3, concurrency: 16 }, 3)).toEqual({ rps: 2, burst: 1, concurrency: 6 });
    expect(shareOfBudget({ rps: 100, burst: 10, concurrency: 3 }, 4)).toEqual({ rps: 25, burst: 3, concurrency: 1 });
    expect(shareOfBudget({ rps: 5, burst: 2, concurrency: 16 }, 1)).toEqual({ rps: 5, burst: 2, concurrency: 16 });
  });

  it.each([
    [5, 1, 4],
    [6, 3, 3],
    [100, 4, 4],
    [0.5, 1, 2],
    [20, 5, 7],
  ])('N shards of --rps %d --burst %d (N = %d) start at most rps + N × ceil(burst / N) in any window, rps + burst when N divides burst', (rps, burst, n) => {
    const share = shareOfBudget({ rps, burst, concurrency: 16 }, n);
    const together = n * limiterOptions(share).cap!.starts;
    expect(together).toBeLessThanOrEqual(Math.floor(rps + n * Math.ceil(burst / n)));
    if (burst % n === 0) expect(together).toBeLessThanOrEqual(rps + burst);
    // Their sustained rates add up to the total.
    expect(share.rps * n).toBeCloseTo(rps, 10);
  });
});
