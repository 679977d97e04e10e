/**
 * Retry policy for outbound HTTP: what is retryable, how long to wait (full-jitter backoff or the server's
 * Retry-After, within a ceiling), and a run-wide budget that stops a failing run in bounded time.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseMs: number;
  capMs: number;
  /** A longer Retry-After makes the request give up instead of sleeping (no silent day-long waits). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 5,
  baseMs: 500,
  capMs: 30_000,
  maxRetryAfterMs: 10 * 60_000,
});

/** Latest instant a JS Date can represent; longer Retry-After values are reported as this. */
const MAX_DATE_MS = 8.64e15;

/** Full jitter (AWS): uniform in [0, min(cap, base * 2^attempt)); `attempt` 0 is the first retry. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.floor(attempt)));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * Math.max(0, ceiling));
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEKDAYS_LONG = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = WEEKDAYS.join('|');
const MON = MONTHS.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three HTTP-date forms of RFC 9110 §5.6.7. Date.parse is not used: it accepts almost anything ("2" is 2001).
const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MON}) (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850_DATE = new RegExp(`^(?:${WEEKDAYS_LONG.join('|')}), (\\d{2})-(${MON})-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^(?:${DAY}) (${MON}) (\\d{1,2}) ${TIME} (\\d{4})$`, 'i');

function utcDate(year: number, month: string, day: string, h: string, m: string, s: string): number | null {
  const [d, hh, mm, ss] = [Number(day), Number(h), Number(m), Number(s)];
  if (ss > 60) return null;
  // A leap second is read as :59.
  const ms = Date.UTC(year, MONTHS.indexOf(month.toLowerCase()), d, hh, mm, Math.min(ss, 59));
  const date = new Date(ms);
  // Date.UTC rolls 31 Feb over into March and 25:00 into the next day; such a date is garbage.
  if (date.getUTCDate() !== d || date.getUTCHours() !== hh || date.getUTCMinutes() !== mm) return null;
  return ms;
}

function parseHttpDate(text: string): number | null {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utcDate(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = RFC850_DATE.exec(text);
  if (m) {
    const yy = Number(m[3]);
    return utcDate(yy < 70 ? 2000 + yy : 1900 + yy, m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME_DATE.exec(text);
  if (m) return utcDate(Number(m[6]), m[1], m[2], m[3], m[4], m[5]);
  return null;
}

/** Retry-After as delta-seconds or HTTP-date → ms from now; a past date or 0 → 0; anything else → null. */
export function parseRetryAfter(value: string | null | undefined, nowEpochMs: number): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Runs of spaces are collapsed: asctime pads the day ("Jan  1"), and senders are sloppy.
  const at = parseHttpDate(text.replace(/\s+/g, ' '));
  return at === null ? null : Math.max(0, at - nowEpochMs);
}

export type Retryability = 'retry' | 'fail' | 'auth';

/**
 * 408, 429 and 5xx → retry; 401/403 → auth (the key is wrong, not the document); any other status → fail.
 * 1xx–3xx are not failures and should not reach here; they classify as `fail` so they are never retried.
 */
export function classifyStatus(status: number): Retryability {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) return 'retry';
  return 'fail';
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Certificate and TLS failures: retrying cannot fix them and must never lead to a downgrade. */
function isTlsFailure(code: string): boolean {
  return (
    /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|HOSTNAME_MISMATCH)/.test(code) ||
    /(SELF_SIGNED|_CERT|CERT_)/.test(code)
  );
}

/** Network failures worth another attempt, looking through fetch's `cause` wrapping. TLS errors never are. */
export function isRetryableNetworkError(err: unknown): boolean {
  let retryable = false;
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string') {
      if (isTlsFailure(code)) return false;
      if (RETRYABLE_CODES.has(code)) retryable = true;
    }
    // AbortSignal.timeout() fires a TimeoutError; a plain AbortError is the user stopping the run.
    if (name === 'TimeoutError') retryable = true;
    current = (current as { cause?: unknown }).cause;
  }
  return retryable;
}

/**
 * A retry budget shared by a whole run: at most max(minRetries, ratio × requests) retries in total. When every
 * request fails, the run stops retrying after the budget instead of grinding through retries × documents.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly minRetries: number;
  private requests = 0;
  private taken = 0;

  constructor(opts: { ratio: number; minRetries: number }) {
    this.ratio = Math.max(0, opts.ratio);
    this.minRetries = Math.max(0, opts.minRetries);
  }

  /** Counts a first attempt (not a retry). */
  noteRequest(): void {
    this.requests++;
  }

  /** Takes one retry from the budget; false means the budget is spent: fail fast. */
  tryTake(): boolean {
    if (this.taken + 1 > Math.max(this.minRetries, this.ratio * this.requests)) return false;
    this.taken++;
    return true;
  }

  get retriesTaken(): number {
    return this.taken;
  }
}

export type DelayDecision =
  | { delayMs: number; source: 'retry-after' | 'backoff' }
  | { giveUp: true; reason: string };

export interface NextDelayInput {
  /** 0-based index of the retry about to be made (0 after the first failure). */
  attempt: number;
  /** HTTP status of the failed attempt; absent for a network error. */
  status?: number;
  retryAfter?: string | null;
  /** Wall-clock epoch ms, needed to read an HTTP-date Retry-After. */
  now: number;
  policy: RetryPolicy;
  random?: () => number;
}

/**
 * The wait before the next attempt, or why there is none. A Retry-After is honoured as given (source
 * 'retry-after': the caller pauses the whole target, not one worker); past or 0 means the minimum backoff;
 * garbage means normal backoff; beyond `maxRetryAfterMs` the request gives up as rate-limited until that time.
 */
export function nextDelay(input: NextDelayInput): DelayDecision {
  const { attempt, status, policy, now } = input;
  if (status !== undefined && classifyStatus(status) !== 'retry') {
    return { giveUp: true, reason: `HTTP ${status} is not retryable` };
  }
  if (attempt >= policy.retries) {
    return { giveUp: true, reason: `gave up after ${policy.retries} ${policy.retries === 1 ? 'retry' : 'retries'}` };
  }
  const retryAfterMs = parseRetryAfter(input.retryAfter, now);
  if (retryAfterMs !== null && retryAfterMs > policy.maxRetryAfterMs) {
    const until = new Date(Math.min(now + retryAfterMs, MAX_DATE_MS)).toISOString();
    return { giveUp: true, reason: `rate-limited until ${until}` };
  }
  if (retryAfterMs !== null && retryAfterMs > 0) return { delayMs: retryAfterMs, source: 'retry-after' };
  const backoffAttempt = retryAfterMs === 0 ? 0 : attempt;
  return { delayMs: backoffDelay(backoffAttempt, policy, input.random), source: 'backoff' };
}
