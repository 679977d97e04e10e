/**
 * Paces outbound requests to one target: a token bucket (capacity `burst`, refilled at the current rate) plus a
 * cap on requests in flight, served in arrival order.
 *
 * Guarantee: in any 1-second window at most `rps + burst` requests start, and a saturated limiter achieves the
 * configured rate. Grants are scheduled by absolute time (the instant the bucket next holds a token), never by
 * chained fixed sleeps, so timer lateness does not accumulate into lag.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic scale. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout cannot wait longer than this; longer waits are re-armed. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Multiplicative decrease applied on a 429. */
export const THROTTLE_FACTOR = 0.5;
/** Requests in flight when a 429 arrives answer for the same overload: one decrease per this period. */
export const THROTTLE_COOLDOWN_MS = 1000;
/** Additive increase per second's worth of successes, as a fraction of the configured rps. */
export const RECOVERY_PER_SECOND = 0.05;
/** A late timer is credited up to this fraction of one interval, so wake-up jitter does not cost throughput. */
export const LATE_WAKE_CREDIT = 0.5;

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

export interface RateLimiterOptions {
  /** Sustained requests per second (may be fractional, e.g. 0.5). */
  rps: number;
  /** Bucket capacity (default 1). */
  burst?: number;
  /** Maximum requests in flight. */
  concurrency: number;
  clock?: Clock;
  /** Floor when throttled (default max(0.1, rps / 20), never above rps). */
  minRps?: number;
}

interface Waiter {
  resolve(release: () => void): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
}

export class RateLimiter {
  readonly rps: number;
  readonly burst: number;
  readonly concurrency: number;
  readonly minRps: number;
  private readonly clock: Clock;
  private rate: number;
  private tokens: number;
  /** Clock time up to which `tokens` has been refilled. */
  private stamp: number;
  private pause = -Infinity;
  private inFlight = 0;
  private lastThrottle = -Infinity;
  private readonly queue: Waiter[] = [];
  private timer: AbortController | undefined;
  /** One listener per signal, however many waiters share it (a run's signal is shared by every worker). */
  private readonly watched = new Map<AbortSignal, { waiters: number; listener: () => void }>();

  constructor(options: RateLimiterOptions) {
    const { rps, concurrency } = options;
    const burst = options.burst ?? 1;
    if (!(Number.isFinite(rps) && rps > 0)) throw new RangeError(`rps must be a positive number, got ${rps}`);
    if (!(Number.isFinite(burst) && burst >= 1)) throw new RangeError(`burst must be at least 1, got ${burst}`);
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const minRps = options.minRps ?? Math.max(0.1, rps / 20);
    if (!(Number.isFinite(minRps) && minRps > 0)) throw new RangeError(`minRps must be a positive number, got ${minRps}`);
    this.rps = rps;
    this.burst = burst;
    this.concurrency = concurrency;
    this.minRps = Math.min(minRps, rps);
    this.clock = options.clock ?? realClock;
    this.rate = rps;
    this.tokens = burst;
    this.stamp = this.clock.now();
  }

  get currentRps(): number {
    return this.rate;
  }

  get pausedUntil(): number {
    return this.pause;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      if (signal) this.watch(signal);
      this.queue.push({ resolve, reject, signal });
      this.drain(this.clock.now(), false);
    });
  }

  pauseUntil(untilMs: number): void {
    if (Number.isNaN(untilMs) || untilMs <= this.pause) return;
    this.pause = untilMs;
    this.drain(this.clock.now(), false);
  }

  onThrottled(): void {
    const now = this.clock.now();
    if (now - this.lastThrottle < THROTTLE_COOLDOWN_MS) return;
    this.lastThrottle = now;
    this.setRate(now, Math.max(this.minRps, this.rate * THROTTLE_FACTOR));
  }

  onSuccess(): void {
    if (this.rate >= this.rps) return;
    // `rate` successes make one second of successes, which earns RECOVERY_PER_SECOND of the configured rps.
    this.setRate(this.clock.now(), Math.min(this.rps, this.rate + (RECOVERY_PER_SECOND * this.rps) / this.rate));
  }

  private setRate(now: number, rate: number): void {
    if (rate === this.rate) return;
    this.refill(Math.max(now, this.stamp));
    this.rate = rate;
    this.drain(now, false);
  }

  private refill(at: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((at - this.stamp) * this.rate) / 1000);
    this.stamp = at;
  }

  /** Clock time at which the bucket holds a whole token. */
  private tokenReadyAt(): number {
    return this.tokens >= 1 ? this.stamp : this.stamp + ((1 - this.tokens) * 1000) / this.rate;
  }

  /**
   * How far back a late timer grant may be dated. Bounded so that, even with every start late by this much, no
   * 1-second window can fit another whole start beyond rps + burst.
   */
  private lateCredit(): number {
    const allowed = Math.floor(this.rps + this.burst + 1e-9);
    const room = ((allowed + 1 - this.burst - this.rps) * 1000) / this.rps;
    return Math.max(0, Math.min((LATE_WAKE_CREDIT * 1000) / this.rate, 0.9 * room));
  }

  private drain(now: number, timerWake: boolean): void {
    let floor = timerWake ? now - this.lateCredit() : now;
    while (this.queue.length > 0 && this.inFlight < this.concurrency && now >= this.pause) {
      const ready = this.tokenReadyAt();
      if (ready > now) break;
      // Date the grant to when it was due (within the late credit), so the token refill keeps counting from there.
      const at = Math.min(now, Math.max(ready, this.pause, floor));
      this.refill(at);
      this.tokens = Math.max(1, this.tokens) - 1; // float rounding at `ready` must not strand a waiter
      floor = now;
      this.grant(this.queue.shift() as Waiter);
    }
    this.arm(now);
  }

  private grant(waiter: Waiter): void {
    if (waiter.signal) this.unwatch(waiter.signal);
    this.inFlight++;
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.drain(this.clock.now(), false);
    });
  }

  private watch(signal: AbortSignal): void {
    const entry = this.watched.get(signal);
    if (entry) {
      entry.waiters++;
      return;
    }
    const listener = (): void => this.abandon(signal);
    this.watched.set(signal, { waiters: 1, listener });
    signal.addEventListener('abort', listener, { once: true });
  }

  private unwatch(signal: AbortSignal): void {
    const entry = this.watched.get(signal);
    if (!entry || --entry.waiters > 0) return;
    this.watched.delete(signal);
    signal.removeEventListener('abort', entry.listener);
  }

  /** Rejects every waiter of an aborted signal and gives their places to those behind them. */
  private abandon(signal: AbortSignal): void {
    this.watched.delete(signal);
    const leaving = this.queue.filter((waiter) => waiter.signal === signal);
    if (leaving.length === 0) return;
    this.queue.splice(0, this.queue.length, ...this.queue.filter((waiter) => waiter.signal !== signal));
    for (const waiter of leaving) waiter.reject(signal.reason);
    this.drain(this.clock.now(), false);
  }

  /** One timer at most, and none when nobody waits for time (empty queue, or waiting for a slot). */
  private arm(now: number): void {
    this.timer?.abort();
    this.timer = undefined;
    if (this.queue.length === 0 || this.inFlight >= this.concurrency) return;
    const due = Math.max(this.tokenReadyAt(), this.pause);
    const controller = new AbortController();
    this.timer = controller;
    this.clock.sleep(Math.min(MAX_TIMER_MS, due - now), controller.signal).then(
      () => {
        if (this.timer !== controller) return;
        this.timer = undefined;
        this.drain(this.clock.now(), true);
      },
      () => undefined,
    );
  }
}
