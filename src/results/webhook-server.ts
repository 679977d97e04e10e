/**
 * The webhook receiver (node:http), shared by `ocrq listen` and `ocrq submit --listen`.
 *
 * Per request: POST only (any path), else 405. Content-Encoding other than identity, or a content type that is not
 * JSON or text, 415. A Content-Length over the body cap 413 before any byte is read; a body growing past the cap
 * 413 and the connection closed. Then the signature is checked over the raw bytes (401, nothing stored, no
 * detail in the answer), the body parsed (400 if not JSON) and recognised (400 if neither a job outcome nor an
 * account event). A job outcome is appended and fsynced before the 2xx; a failed write answers 500 so the sender
 * retries. Slow or oversized request heads are cut off by node itself (408, 431).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderName } from '../providers/registry.js';
import type { ManifestWriter } from '../manifest/writer.js';
import type { ResumeIndex } from '../manifest/resume-index.js';
import type { VerifyResult } from '../signature/index.js';
import { DeliveryStore, type DeliveryOutcome } from './delivery-store.js';
import { forwardDelivery, type ForwardResult } from './forward.js';
import { jobIdProblem, quoteUntrusted } from '../untrusted.js';
import { detectProvider, parseDelivery, type EventDelivery, type JobDelivery } from './payloads.js';
import { bodyPending, checkHead, parseJson, publicReason, readBody, reply, type BodyPool } from './request-io.js';
import { ConfigError } from '../errors.js';

export const MAX_BODY_BYTES = 10_485_760;
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const MAX_HEADER_BYTES = 16_384;
/** Request bodies held in memory at once, across connections: many large bodies at once get 503, not the heap. */
export const MAX_BUFFERED_BYTES = 100 * 1024 * 1024;
export const DEFAULT_CLOSE_GRACE_MS = 10_000;
/** What an unmatched delivery (a job this run does not know) is answered by default: accepted, not stored. */
export const DEFAULT_UNMATCHED_STATUS = 202;

export type Verdict = VerifyResult | 'unsigned-ok' | 'unsigned-rejected';
export type { DeliveryOutcome } from './delivery-store.js';

export interface WebhookServerLimits {
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  maxBufferedBytes: number;
}

export interface RejectedDelivery {
  status: number;
  reason: string;
  provider: ProviderName | null;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** The manifest's one writer (shared with the run, for `submit --listen`). */
  writer: ManifestWriter;
  index: ResumeIndex;
  /** Authenticates a delivery over its raw bytes. `unsigned-ok`: a provider that signs nothing, let in. */
  verify(provider: ProviderName, body: Buffer, headers: IncomingMessage['headers']): Verdict;
  provider: ProviderName | 'auto';
  onDelivery?(delivery: JobDelivery, outcome: DeliveryOutcome): void;
  onEvent?(event: EventDelivery): void;
  onRejected?(rejected: RejectedDelivery): void;
  onForward?(result: ForwardResult): void;
  /** A delivery that could not be stored (the sender was answered 500 and will retry). */
  onStoreError?(error: Error, delivery: JobDelivery): void;
  forwardTo?: string;
  /** Replaces "the manifest has this job" as the test of whether a delivery's job belongs to this run. */
  knownJob?(jobId: string): boolean;
  sha256Of?(jobId: string): string | null | undefined;
  /** Status for a delivery whose job this run does not know (a retryable 503 makes a racing sender come back). */
  unmatchedStatus?: number;
  limits?: Partial<WebhookServerLimits>;
  now?: () => number;
}

export interface WebhookServerStats {
  /** POST requests received, including rejected ones. */
  deliveries: number;
  stored: number;
  duplicates: number;
  conflicts: number;
  unmatched: number;
  events: number;
  rejected: number;
  /** Answered 5xx because the manifest could not be written. */
  failed: number;
}

export interface WebhookServer {
  url: string;
  stats: WebhookServerStats;
  /** Stops accepting, lets requests in flight finish (at most `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const limits: WebhookServerLimits = {
    maxBodyBytes: MAX_BODY_BYTES,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderBytes: MAX_HEADER_BYTES,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    ...options.limits,
  };
  const stats: WebhookServerStats = { deliveries: 0, stored: 0, duplicates: 0, conflicts: 0, unmatched: 0, events: 0, rejected: 0, failed: 0 };
  const store = new DeliveryStore({
    writer: options.writer,
    index: options.index,
    now: options.now ?? Date.now,
    knownJob: options.knownJob,
    sha256Of: options.sha256Of,
  });
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    const done = (): void => void inFlight.delete(work);
    work.then(done, done);
  };
  const pool: BodyPool = { held: 0, max: limits.maxBufferedBytes };
  const context: HandlerContext = { options, limits, stats, store, track, pool };

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default): slow heads must be cut off near the limit.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => track(handle(req, res, context)),
  );
  // Expect: 100-continue is answered only once the head passed its checks, so an oversized body is never invited.
  server.on('checkContinue', (req, res) => track(handle(req, res, context, true)));
  await listenOn(server, options.host, options.port);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    stats,
    close(graceMs = DEFAULT_CLOSE_GRACE_MS) {
      closing ??= closeServer(server, inFlight, graceMs);
      return closing;
    },
  };
}

/** Binds; a port in use or a refused bind is a configuration error (exit 2) naming the address. */
function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === undefined) return reject(error);
      const fix = error.code === 'EADDRINUSE' ? 'stop the other listener, or choose another port (0: any free port)' : 'check the host and port';
      reject(new ConfigError(`cannot listen on ${host}:${port}: ${error.code}`, fix, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      // Errors after the bind (rare: EMFILE on accept) must not crash the process.
      server.on('error', () => {});
      resolve();
    });
  });
}

async function closeServer(server: Server, inFlight: Set<Promise<void>>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.allSettled([...inFlight]), grace]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

interface HandlerContext {
  options: WebhookServerOptions;
  limits: WebhookServerLimits;
  stats: WebhookServerStats;
  store: DeliveryStore;
  track(work: Promise<void>): void;
  pool: BodyPool;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext, expectsContinue = false): Promise<void> {
  req.on('error', () => {});
  res.on('error', () => {});
  const held = { bytes: 0 };
  try {
    await handleDelivery(req, res, ctx, expectsContinue, held);
  } catch {
    // A bug must still give the sender an answer it retries, and never a stack trace.
    if (!res.headersSent) reply(res, 500, { error: 'internal error' }, true);
    else res.destroy();
  } finally {
    ctx.pool.held -= held.bytes;
  }
}

async function handleDelivery(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext, expectsContinue: boolean, held: { bytes: number }): Promise<void> {
  const { options, stats } = ctx;
  const reject = (status: number, reason: string, provider: ProviderName | null, close = false): void => {
    stats.rejected += 1;
    notify(() => options.onRejected?.({ status, reason, provider }));
    reply(res, status, { error: publicReason(status) }, close);
  };
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return reject(405, `method ${req.method ?? '?'} not allowed`, null, bodyPending(req));
  }
  stats.deliveries += 1;
  const refusal = checkHead(req, ctx.limits.maxBodyBytes);
  if (refusal) return reject(refusal.status, refusal.reason, null, true);
  if (expectsContinue) res.writeContinue();

  const body = await readBody(req, ctx.limits.maxBodyBytes, ctx.pool, held);
  if (body === 'aborted') return;
  if (body === 'too-large') return reject(413, `body over ${ctx.limits.maxBodyBytes} bytes`, null, true);
  if (body === 'busy') {
    res.setHeader('Retry-After', '5');
    return reject(503, `over ${ctx.limits.maxBufferedBytes} bytes of bodies in memory at once`, null, true);
  }

  let json: unknown;
  let provider = options.provider === 'auto' ? detectProvider(undefined, req.headers) : options.provider;
  if (provider === null) {
    json = parseJson(body);
    provider = detectProvider(json, req.headers);
    if (provider === null) return reject(401, 'no signature header, and not the payload of a known provider', null);
  }
  const verdict = safeVerify(options, provider, body, req.headers);
  if (verdict !== 'unsigned-ok' && (verdict === 'unsigned-rejected' || !verdict.valid)) {
    const reason = verdict === 'unsigned-rejected' ? 'required header missing or wrong' : `${verdict.reason}: ${verdict.detail}`;
    return reject(401, reason, provider);
  }
  json ??= parseJson(body);
  if (json === undefined) return reject(400, 'body is not JSON', provider);
  const delivery = parseDelivery(provider, json, req.headers);
  if (delivery === null) return reject(400, `not a ${provider} job or event payload`, provider);
  if (delivery.kind === 'job') {
    const idProblem = jobIdProblem(delivery.jobId);
    if (idProblem) return reject(400, `the job id cannot be used (${idProblem}): ${quoteUntrusted(delivery.jobId)}`, provider);
  }

  if (delivery.kind === 'event') {
    stats.events += 1;
    notify(() => options.onEvent?.(delivery));
    reply(res, 200, { ok: true, outcome: 'event' });
    return forward(ctx, req, body);
  }
  let outcome: DeliveryOutcome;
  try {
    outcome = await ctx.store.record(delivery, verdict === 'unsigned-ok');
  } catch (error) {
    stats.failed += 1;
    notify(() => options.onStoreError?.(error instanceof Error ? error : new Error(String(error)), delivery));
    return reply(res, 500, { error: 'could not store the delivery; retry later' });
  }
  count(stats, outcome);
  notify(() => options.onDelivery?.(delivery, outcome));
  if (outcome === 'unmatched') return reply(res, options.unmatchedStatus ?? DEFAULT_UNMATCHED_STATUS, { ok: false, outcome, error: 'unknown job' });
  reply(res, 200, { ok: true, outcome });
  forward(ctx, req, body);
}

function count(stats: WebhookServerStats, outcome: DeliveryOutcome): void {
  if (outcome === 'stored') stats.stored += 1;
  else if (outcome === 'duplicate') stats.duplicates += 1;
  else if (outcome === 'conflict') stats.conflicts += 1;
  else stats.unmatched += 1;
}

/** After the answer, so the sender's own deadline never waits on the local app. */
function forward(ctx: HandlerContext, req: IncomingMessage, body: Buffer): void {
  const url = ctx.options.forwardTo;
  if (!url) return;
  ctx.track(forwardDelivery(url, body, req.rawHeaders).then((result) => notify(() => ctx.options.onForward?.(result))));
}

/** A callback that throws (a closed output stream...) must not turn a stored delivery into a 500. */
function notify(callback: () => void): void {
  try {
    callback();
  } catch {
    // The delivery's answer does not depend on who was told about it.
  }
}

function safeVerify(options: WebhookServerOptions, provider: ProviderName, body: Buffer, headers: IncomingMessage['headers']): Verdict {
  try {
    return options.verify(provider, body, headers);
  } catch (error) {
    // A verifier that throws on a hostile header is a bug, but the delivery is still not authenticated: 401, not 500.
    return { valid: false, reason: 'malformed header', detail: error instanceof Error ? error.message : 'could not verify' };
  }
}
