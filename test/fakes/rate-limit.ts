import type { RateLimitOptions, RequestRecord } from './types.js';

export interface RateInfo {
  limit: number;
  remaining: number;
  windowMs: number;
  /** Seconds until the oldest admitted request leaves the window (≥ 1 when the window is full). */
  resetSeconds: number;
}

export type RateDecision = { ok: true; info: RateInfo } | { ok: false; info: RateInfo; retryAfterSeconds: number };

/** Requests a window admits: a token bucket of `burst` at `rps` never puts more in a half-open window. */
export function allowedPerWindow(cfg: RateLimitOptions): number {
  const windowMs = cfg.windowMs ?? 1000;
  return Math.max(1, Math.floor((cfg.rps * windowMs) / 1000)) + Math.max(0, (cfg.burst ?? 1) - 1);
}

/** Sliding-window limiter over admitted requests; rejected requests do not extend the lockout. */
export class SlidingWindowLimiter {
  private admitted: number[] = [];

  check(now: number, cfg: RateLimitOptions): RateDecision {
    const windowMs = cfg.windowMs ?? 1000;
    const limit = allowedPerWindow(cfg);
    while (this.admitted.length > 0 && this.admitted[0] <= now - windowMs) this.admitted.shift();
    const resetIn = (oldest: number | undefined) =>
      oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    if (this.admitted.length >= limit) {
      const retryAfterSeconds = resetIn(this.admitted[0]);
      return { ok: false, retryAfterSeconds, info: { limit, remaining: 0, windowMs, resetSeconds: retryAfterSeconds } };
    }
    this.admitted.push(now);
    return {
      ok: true,
      info: { limit, remaining: limit - this.admitted.length, windowMs, resetSeconds: resetIn(this.admitted[0]) },
    };
  }

  reset(): void {
    this.admitted = [];
  }
}

/** The most requests that arrived within any window of `windowMs` (half-open), e.g. to check a client's pacing. */
export function maxRequestsInWindow(records: readonly Pick<RequestRecord, 'at'>[], windowMs = 1000): number {
  const times = records.map((r) => r.at).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
