/**
 * Paces outbound requests to one target: a token bucket (capacity `burst`, refilled at the current rate) plus a
 * cap on requests in flight, served in arrival order.
 *
 * Guarantee: in any 1-second window at most `rps + burst` requests start, or with a `cap`, at most `cap.starts` in
 * any `cap.ms`; and a saturated limiter achieves the configured rate (or the cap's, if lower). Grants are scheduled
 * by absolute time (the instant the bucket next holds a token), never by chained fixed sleeps, and a grant made late
 * (a late timer, a busy event loop) is dated back to when it was due, within what the window bound allows, so
 * lateness does not accumulate into lag.
 */
import { MAX_TIMER_MS, realClock, type Clock } from '../../clock.js';

/** Multiplicative decrease applied on a 429. */
export const THROTTLE_FACTOR = 0.5;
/** Requests in flight when a 429 arrives answer for the same overload: one decrease per this period. */
export const THROTTLE_COOLDOWN_MS = 1000;
/** Additive increase per second's worth of successes, as a fraction of the configured rps. */
export const RECOVERY_PER_SECOND = 0.05;
/** Share of the window bound's room (see lateCredit) used to date late grants back. */
export const LATE_CREDIT_SHARE = 0.9;
/**
 * Longest a late grant is dated back. Event-loop lateness is mostly a few milliseconds; crediting more recovers
 * little and leaves less slack for the varying delay between a request's start and its arrival at the provider.
 */
export const LATE_CREDIT_MAX_MS = 4;
/** The reason a superseded timer is cancelled with (a constant: a DOMException per cancel costs a stack trace). */
const DISARMED = new Error('rate limiter timer superseded');

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
  /**
   * A hard cap on top of the bucket: at most `starts` grants in any `ms` milliseconds, counted by the instants they
   * are made. A provider's own per-second limit with `ms` a little over 1000 also holds for requests that reach it
   * up to `ms - 1000` later than they started, by varying amounts.
   */
  cap?: { starts: number; ms: number };
}

interface Waiter {
  resolve(release: () => void): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  /** When it started waiting. */
  since: number;
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
  /** The armed timer's due time, if one is armed. */
  private timer: { due: number } | undefined;
  /** Cancels the armed timer; replaced only after it is used, so arming a timer allocates no controller. */
  private timerCancel = new AbortController();
  /** One listener per signal, however many waiters share it (a run's signal is shared by every worker). */
  private readonly watched = new Map<AbortSignal, { waiters: number; listener: () => void }>();
  /** With a cap: the last `cap.starts` grant instants, a ring; `next` is the oldest, the one the next grant replaces. */
  private readonly capMs: number = 0;
  private readonly recent: Float64Array | undefined;
  private next = 0;

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
    if (options.cap) {
      const { starts, ms } = options.cap;
      if (!(Number.isInteger(starts) && starts >= 1)) throw new RangeError(`cap.starts must be a positive integer, got ${starts}`);
      if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`cap.ms must be a positive number, got ${ms}`);
      this.capMs = ms;
      this.recent = new Float64Array(starts).fill(-Infinity);
    }
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
      const now = this.clock.now();
      this.queue.push({ resolve, reject, signal, since: now });
      this.drain(now);
    });
  }

  pauseUntil(untilMs: number): void {
    if (Number.isNaN(untilMs) || untilMs <= this.pause) return;
    this.pause = untilMs;
    this.drain(this.clock.now());
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
    this.drain(now);
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
   * How far back a late grant may be dated: LATE_CREDIT_MAX_MS at most; with a cap, which bounds every window, that
   * much. Without one the credit also stays within `room`: grants dated back form a valid bucket schedule and each
   * start is at most `room` behind its date, so a 1-second window holds at most rps * (1 + room) + burst starts,
   * below the next whole start beyond rps + burst. (`room` is at most one interval; a share of it is used.)
   */
  private lateCredit(): number {
    if (this.recent) return LATE_CREDIT_MAX_MS;
    const allowed = Math.floor(this.rps + this.burst + 1e-9);
    const room = ((allowed + 1 - this.burst - this.rps) * 1000) / this.rps;
    return Math.min(LATE_CREDIT_MAX_MS, LATE_CREDIT_SHARE * room);
  }

  private drain(now: number): void {
    const floor = now - this.lateCredit();
    while (this.queue.length > 0 && this.inFlight < this.concurrency && now >= this.pause) {
      const ready = this.tokenReadyAt();
      if (ready > now || this.capFreeAt() > now) break;
      // Date the grant to when it was due (within the late credit), so the token refill keeps counting from there:
      // a wake-up that comes late, by a timer or by a busy event loop, does not cost throughput. Never before the
      // waiter came: a caller that was not waiting has no lateness to make up, and no burst comes of it.
      const at = Math.min(now, Math.max(ready, this.pause, floor, this.queue[0].since));
      this.refill(at);
      this.tokens = Math.max(1, this.tokens) - 1; // float rounding at `ready` must not strand a waiter
      if (this.recent) {
        this.recent[this.next] = now;
        this.next = (this.next + 1) % this.recent.length;
      }
      this.grant(this.queue.shift() as Waiter);
    }
    this.arm(now);
  }

  /** When the cap next allows a grant: `cap.ms` after the oldest of the last `cap.starts` grants. */
  private capFreeAt(): number {
    return this.recent ? this.recent[this.next] + this.capMs : -Infinity;
  }

  private grant(waiter: Waiter): void {
    if (waiter.signal) this.unwatch(waiter.signal);
    this.inFlight++;
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.drain(this.clock.now());
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
    this.drain(this.clock.now());
  }

  /**
   * One timer at most, and none once nobody waits. A timer that will fire no later than needed is kept: one that
   * fires early only re-arms, which costs less than cancelling and re-arming on every acquire and release.
   */
  private arm(now: number): void {
    if (this.queue.length === 0) {
      this.disarm();
      return;
    }
    if (this.inFlight >= this.concurrency) return; // a release drains
    const due = Math.max(this.tokenReadyAt(), this.pause, this.capFreeAt());
    if (this.timer && this.timer.due <= due) return;
    this.disarm();
    const timer = { due };
    this.timer = timer;
    this.clock.sleep(Math.min(MAX_TIMER_MS, due - now), this.timerCancel.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.drain(this.clock.now());
      },
      () => undefined,
    );
  }

  private disarm(): void {
    if (!this.timer) return;
    this.timer = undefined;
    this.timerCancel.abort(DISARMED);
    this.timerCancel = new AbortController();
  }
}
