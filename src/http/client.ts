/**
 * The one HTTP path to a provider: every API request draws from the provider's rate limiter, is retried on network
 * errors, 408, 429 and 5xx with full-jitter backoff (a Retry-After pauses the whole provider), and ends as a
 * response, a ProviderRequestError (the document fails), or an AuthError (the run stops; after it, no request is
 * sent at all). Redirects are never followed, so a key is never sent to another origin.
 */
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { AuthError } from '../errors.js';
import { realClock, type Clock } from '../clock.js';
import type { RateLimiter } from './pacing/limiter.js';
import { quoteUntrusted, uploadUrlProblem } from '../untrusted.js';
import { classifyStatus, isRetryableNetworkError, nextDelay, RetryBudget, type RetryPolicy } from './pacing/retry.js';
import type { RequestBody } from './body.js';

export const CONNECT_TIMEOUT_MS = 10_000;
/** A provider that accepts the connection must start answering within this (not undici's 300 s default). */
export const HEADERS_TIMEOUT_MS = 60_000;
/** Longest silence between two chunks of a response body. */
export const BODY_TIMEOUT_MS = 60_000;
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the base URL (`/v1/extract`), or an absolute URL for storage uploads. */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: RequestBody;
  idempotencyKey?: string;
  /** false for uploads to presigned storage URLs: no API key, and not drawn from the rate budget (README "Remote providers"). */
  api?: boolean;
  /** What the request is for, in messages: `submit`, `poll`, `result`, `upload`. */
  purpose: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json(): unknown;
}

/** A request that ended without a usable answer; the document fails with `code`. */
export class ProviderRequestError extends Error {
  constructor(
    readonly status: number | null,
    readonly code: string,
    message: string,
    /** What the provider's own error body said, when it said anything. */
    readonly provider: ParsedError = {},
  ) {
    super(message);
    this.name = 'ProviderRequestError';
  }
}

export interface ParsedError {
  code?: string;
  message?: string;
}

export interface ProviderHttpOptions {
  provider: string;
  baseUrl: string;
  auth: { header: string; value: string };
  /** Where the key came from (`--api-key`, `OCRQUEEN_API_KEY`, `providers.ocrqueen.api_key`), for the rejection message. */
  keySource: string;
  /** The provider deduplicates submits by Idempotency-Key; when false, a submit that may have arrived is not resent. */
  idempotent: boolean;
  limiter: RateLimiter;
  retry: RetryPolicy;
  budget?: RetryBudget;
  parseError(status: number, body: Buffer): ParsedError;
  clock?: Clock;
  dispatcher?: Dispatcher;
  onRetry?(info: { purpose: string; attempt: number; delayMs: number; reason: string }): void;
}

export class ProviderHttp {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly clock: Clock;
  private readonly budget: RetryBudget;
  private rejected: AuthError | null = null;
  /** Whether an answer has shown the key is accepted; requests wait while the first one is out ('probing'). */
  private keyState: 'unknown' | 'probing' | 'known' = 'unknown';
  private keyWaiters: Array<() => void> = [];
  /** Requests sent, retries included (for the summary and tests). */
  requests = 0;

  constructor(private readonly options: ProviderHttpOptions) {
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher =
      options.dispatcher ??
      new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS }, headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: BODY_TIMEOUT_MS, keepAliveTimeout: 10_000 });
    this.clock = options.clock ?? realClock;
    this.budget = options.budget ?? new RetryBudget({ ratio: 0.2, minRetries: 20 });
  }

  async send(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    const { limiter, retry, provider } = this.options;
    const api = req.api !== false;
    for (let attempt = 0; ; attempt++) {
      // Checked again after each wait, with nothing awaited between the check and the probe's claim below: requests
      // woken together (or started in one turn) must not all find the key unknown and all go out as probes.
      while (api && this.keyState === 'probing') await this.keyChecked(signal);
      if (this.rejected) throw this.rejected;
      signal.throwIfAborted();
      // Until one answer has shown the key is accepted, one request at a time: a wrong key costs one request.
      const probe = api && this.keyState === 'unknown';
      if (probe) this.keyState = 'probing';
      let release = NO_RELEASE;
      if (api) {
        try {
          release = await limiter.acquire(signal);
        } catch (err) {
          if (probe) this.settleKey(false);
          throw err;
        }
      }
      let response: HttpResponse | null = null;
      let failure: unknown = null;
      try {
        if (this.rejected) throw this.rejected;
        this.requests++;
        this.budget.noteRequest();
        response = await this.once(req, api, signal);
      } catch (err) {
        if (err === this.rejected || signal.aborted) throw err instanceof Error && err === this.rejected ? err : signal.reason ?? err;
        if (err instanceof ProviderRequestError) throw err;
        failure = err;
      } finally {
        release();
        // Any HTTP answer settles the question (a 401/403 sets `rejected` below, before the waiters look again).
        if (probe) queueMicrotask(() => this.settleKey(response !== null));
      }

      if (response) {
        const { status } = response;
        if (status >= 200 && status < 300) {
          if (api) limiter.onSuccess();
          return response;
        }
        const parsed = this.options.parseError(status, response.body);
        const detail = describe(status, parsed);
        if (status >= 300 && status < 400) {
          throw new ProviderRequestError(status, `HTTP_${status}`, `${provider} answered the ${req.purpose} with a redirect to ${response.headers.location ?? 'nowhere'}; not followed`);
        }
        const kind = classifyStatus(status);
        if (kind === 'auth' && api) {
          this.rejected = new AuthError(
            `${provider} rejected the API key from ${this.options.keySource} (${detail}); no further requests were sent`,
            `check the key, e.g. ocrq config set providers.${provider}.api_key - (reads it from stdin)`,
          );
          throw this.rejected;
        }
        if (kind !== 'retry') throw new ProviderRequestError(status, `HTTP_${status}`, `${provider} refused the ${req.purpose} (${detail})`, parsed);
        if (status === 429 && api) limiter.onThrottled();
        const decision = nextDelay({ attempt, status, retryAfter: response.headers['retry-after'], now: Date.now(), policy: retry });
        if ('giveUp' in decision) throw new ProviderRequestError(status, status === 429 ? 'RATE_LIMITED' : `HTTP_${status}`, `${provider} ${req.purpose}: ${detail}; ${decision.reason}`);
        if (!this.budget.tryTake()) throw new ProviderRequestError(status, `HTTP_${status}`, `${provider} ${req.purpose}: ${detail}; the run's retry budget is spent`);
        if (decision.source === 'retry-after' && api) limiter.pauseUntil(this.clock.now() + decision.delayMs);
        this.options.onRetry?.({ purpose: req.purpose, attempt: attempt + 1, delayMs: decision.delayMs, reason: detail });
        await this.clock.sleep(decision.delayMs, signal);
        continue;
      }

      const reason = errorText(failure);
      if (!isRetryableNetworkError(failure)) throw new ProviderRequestError(null, 'NETWORK_ERROR', `${provider} ${req.purpose}: ${reason}`);
      if (req.purpose === 'submit' && !this.options.idempotent && mayHaveArrived(failure)) {
        // Resending could create a second job that the provider bills: a person decides.
        throw new ProviderRequestError(
          null,
          'SUBMIT_UNCONFIRMED',
          `${provider} submit: ${reason} after the upload was sent; ${provider} may have created a job ocrq cannot see, and it does not deduplicate submissions, so it was not resent (check the provider's dashboard, then resend with --retry-failed SUBMIT_UNCONFIRMED)`,
        );
      }
      const decision = nextDelay({ attempt, now: Date.now(), policy: retry });
      if ('giveUp' in decision) throw new ProviderRequestError(null, 'NETWORK_ERROR', `${provider} ${req.purpose}: ${reason}; ${decision.reason}`);
      if (!this.budget.tryTake()) throw new ProviderRequestError(null, 'NETWORK_ERROR', `${provider} ${req.purpose}: ${reason}; the run's retry budget is spent`);
      this.options.onRetry?.({ purpose: req.purpose, attempt: attempt + 1, delayMs: decision.delayMs, reason });
      await this.clock.sleep(decision.delayMs, signal);
    }
  }

  /** Waits while another request is finding out whether the key is accepted. */
  private async keyChecked(signal: AbortSignal): Promise<void> {
    while (this.keyState === 'probing') {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.keyWaiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
      signal.throwIfAborted();
    }
  }

  /** The probe ended: with an answer the key is known (accepted, or `rejected`); without one, the next request probes. */
  private settleKey(answered: boolean): void {
    this.keyState = answered ? 'known' : 'unknown';
    const waiters = this.keyWaiters;
    this.keyWaiters = [];
    for (const wake of waiters) wake();
  }

  private async once(req: HttpRequest, api: boolean, signal: AbortSignal): Promise<HttpResponse> {
    const url = this.url(req);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ocrq', ...req.headers };
    if (api) headers[this.options.auth.header.toLowerCase()] = this.options.auth.value;
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    if (req.body) {
      headers['content-type'] ??= req.body.contentType;
      headers['content-length'] = String(req.body.length);
    }
    const res = await this.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: req.method,
      headers,
      body: req.body ? (req.body.bytes ?? Readable.from(req.body.stream(), { objectMode: false })) : undefined,
      signal,
    });
    const body = await readBody(
      res.body,
      () => new ProviderRequestError(res.statusCode, 'RESPONSE_TOO_LARGE', `${this.options.provider} ${req.purpose}: response larger than ${MAX_RESPONSE_BYTES} bytes; not read`),
    );
    const flat: Record<string, string> = {};
    for (const k in res.headers) {
      const v = res.headers[k];
      if (v !== undefined && v !== null) flat[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    return {
      status: res.statusCode,
      headers: flat,
      body,
      json: () => {
        try {
          return JSON.parse(body.toString('utf8'));
        } catch {
          throw new ProviderRequestError(res.statusCode, 'BAD_RESPONSE', `${this.options.provider} ${req.purpose}: the response is not JSON`);
        }
      },
    };
  }

  private url(req: HttpRequest): URL {
    const absolute = /^[a-z][a-z0-9+.-]*:/iu.test(req.path);
    const url = absolute ? new URL(req.path) : new URL(this.options.baseUrl.replace(/\/+$/, '') + req.path);
    // An absolute URL came from the provider's answer (a presigned upload URL): it may not lead anywhere.
    const problem = absolute ? uploadUrlProblem(url, new URL(this.options.baseUrl)) : null;
    if (problem) {
      throw new ProviderRequestError(null, 'UNSAFE_UPLOAD_URL', `${this.options.provider} ${req.purpose}: refused to send to ${quoteUntrusted(url.href)} (${problem})`);
    }
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

const NO_RELEASE = (): void => {};

/**
 * Reads a response body whole, refusing one larger than MAX_RESPONSE_BYTES. Listens for events rather than iterating
 * the stream: far fewer objects per request.
 */
function readBody(body: Dispatcher.ResponseData['body'], tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        body.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}

/** Errors that prove the request never reached the server (nothing to duplicate). */
const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH']);

function mayHaveArrived(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code && NEVER_ARRIVED.has(e.code)) return false;
  }
  return true;
}

function describe(status: number, parsed: ParsedError): string {
  return [`HTTP ${status}`, parsed.code, parsed.message].filter(Boolean).join(' ').slice(0, 500);
}

function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
