/**
 * How fast ocrq talks to a provider: the defaults of --rps, --burst, --concurrency and --retries, and how a run's
 * settings become the rate limiter's. Only types are imported, so the CLI can show the defaults in --help without
 * loading the limiter or the pipeline.
 */
import type { RateLimiterOptions } from './limiter.js';

/** Remote defaults (README "Remote providers"). */
export const DEFAULT_RPS = 5;
export const DEFAULT_BURST = 1;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_RETRIES = 5;

/**
 * Requests are scheduled 1% under --rps: a request's arrival at the provider is a few milliseconds after it leaves,
 * by a varying amount, and that jitter must not push one of the provider's 1-second windows over its limit.
 */
export const RATE_MARGIN = 0.99;
/**
 * How much later than it started a request may reach the provider, compared with the others (event loops, new
 * connections, a busy host). No window of 1 s plus this much holds more than rps + burst starts, so the provider's
 * 1-second windows hold no more either. A trade-off, as it also sets the highest rate: (rps + burst) per 1.02 s. On
 * loopback on a busy two-core host the spread was a few ms, and 20-40 ms for a few requests in a thousand.
 */
export const ARRIVAL_JITTER_MS = 20;

/** The rate limiter for a provider run with these settings: RATE_MARGIN under --rps, capped with ARRIVAL_JITTER_MS. */
export function limiterOptions(o: { rps: number; burst: number; concurrency: number }): RateLimiterOptions {
  return {
    rps: o.rps * RATE_MARGIN,
    burst: o.burst,
    concurrency: o.concurrency,
    cap: { starts: Math.floor(o.rps + o.burst), ms: 1000 + ARRIVAL_JITTER_MS },
  };
}

/** The settings that pace one API key's requests. */
export interface ProviderBudget {
  rps: number;
  burst: number;
  concurrency: number;
}

/**
 * One shard's part of a budget given for one API key shared by `count` shards (README "Running on many machines"):
 * rps / count; burst and concurrency divided and rounded up, to at least 1. Together the shards keep the rate; in any
 * second they start at most rps + count × ceil(burst / count) requests, which is rps + burst when count divides burst.
 */
export function shareOfBudget(budget: ProviderBudget, count: number): ProviderBudget {
  return {
    rps: budget.rps / count,
    burst: Math.max(1, Math.ceil(budget.burst / count)),
    concurrency: Math.max(1, Math.ceil(budget.concurrency / count)),
  };
}
