import type { IncomingHttpHeaders } from 'node:http';

export type ProviderName = 'ocrqueen' | 'leapocr' | 'docextract' | 'qomplement' | 'process-job';

/** How a document's job fails: the provider's own code (where it has one) and message. */
export interface FailureSpec {
  code: string;
  message: string;
}

/** The "OCR" text of a document: one page, or one string per page. */
export type TextSpec = string | { pages: string[] };

/** A request as the fake saw it, body fully read. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a route answers; a Buffer body is sent as is, anything else as JSON. */
export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * '500' / '503': the provider's own error body. 'reset': the socket is destroyed once the request body is
 * read, before any processing. 'reset-after-handling': the request is processed (a job may be created),
 * then the socket is destroyed instead of answering — the ambiguous case. 'hang': never answers.
 * 'slow-body': the real answer, headers first, then the body dribbled (see `slowBody`).
 */
export type FaultKind =
  | '500'
  | '503'
  | 'reset'
  | 'reset-after-handling'
  | 'hang'
  | 'slow-body'
  | { status: number; body?: unknown; headers?: Record<string, string> };

export interface FaultRule {
  match: (req: FakeRequest) => boolean;
  /** How many matching requests get the fault (Infinity allowed). */
  times: number;
  fault: FaultKind;
}

export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  idempotencyKey?: string;
  /** performance.now() at arrival, in ms. */
  at: number;
  /** Status sent; 0 while unanswered or when the fault was 'reset'/'hang'. */
  status: number;
  fault?: string;
}

export interface RateLimitOptions {
  /** Requests per second. */
  rps: number;
  /** Extra requests a window may hold beyond rps, minus one (token-bucket semantics); default 1. */
  burst?: number;
  /** Sliding window length; default 1000 ms. Allowed per window = floor(rps·window/1 s) + burst − 1. */
  windowMs?: number;
}

export interface ForceRetryAfterOptions {
  /** How many of the next requests are answered this way. */
  count: number;
  seconds: number;
  /** Send Retry-After as an HTTP-date instead of delta seconds. */
  httpDate?: boolean;
  /** Default 429 (with the provider's rate-limit body); 503 uses its server-error body. */
  status?: 429 | 503;
}

/** When a job reaches its terminal state; default `{ polls: 1 }`. Either limit, whichever comes first. */
export interface ProgressOptions {
  /** Job reads that still show a non-terminal state; the next read shows the terminal one. */
  polls?: number;
  /** Time after submission at which the job finishes (a timer finishes it even without reads). */
  ms?: number;
}

/** Options every fake understands; providers add their own on top. */
export interface FakeOptions {
  apiKey?: string;
  /** The valid key is answered with the provider's 403 (revoked key / missing scope). */
  forbidden?: boolean;
  texts?: Map<string, TextSpec>;
  failures?: Map<string, FailureSpec>;
  progress?: ProgressOptions;
  rateLimit?: RateLimitOptions;
  forceRetryAfter?: ForceRetryAfterOptions;
  latencyMs?: number;
  inject?: FaultRule[];
  /** Pace of 'slow-body'; default 1 byte every 100 ms. */
  slowBody?: { chunkBytes: number; intervalMs: number };
  /** Request bodies above this are answered 413 (default 128 MiB). */
  maxBodyBytes?: number;
  /** Called once when a job reaches a terminal state (after its webhook, if any, is queued). */
  onJobFinished?: (job: FakeJob) => void;
  /** Deliver signed webhooks as the provider does; absent = no job webhooks at all. See webhooks.ts. */
  webhooks?: WebhookOptions;
}

/** One webhook the fake means to deliver, as `drop` sees it (the same object for every attempt). */
export interface WebhookDelivery {
  /** Stable across retries and duplicates (OCRQueen sends it as OCRQueen-Delivery-Id). */
  id: string;
  event: string;
  jobId?: string;
  url: string;
  body: Buffer;
}

export interface WebhookOptions {
  /** The dashboard-configured endpoint; a per-request callback (OCRQueen, qomplement) wins over it. */
  url?: string;
  /** Signing secret (UTF-8 bytes as the HMAC key); default WEBHOOK_DEFAULT_SECRET. */
  secret?: string;
  /** Multiplies every delay of the provider's retry schedule (0.001 turns 25 s into 25 ms); default 1. */
  scheduleScale?: number;
  /** True = this attempt is lost: nothing is sent, and the schedule goes on as after a failure. */
  drop?: (delivery: WebhookDelivery, attempt: number) => boolean;
  /** Each successful delivery is sent this many extra times, byte for byte (default 0). */
  duplicate?: number;
  /** Extra headers on every delivery: process-job's template headers; they override the provider's own. */
  headers?: Record<string, string>;
  /** LeapOCR only: `timestamp` (X-Webhook-Signature over `<ts>.<body>`, default) or `r2` (X-R2-Signature over the body). */
  leapocrScheme?: 'timestamp' | 'r2';
  /** Receiver timeout per attempt; default the provider's (5 s DocExtract/qomplement, else 10 s). */
  timeoutMs?: number;
}

/** One attempt as the fake made it (or skipped it, with `dropped`). */
export interface DeliveryRecord {
  deliveryId: string;
  event: string;
  jobId?: string;
  url: string;
  /** 1 = the first try; a duplicate repeats the attempt number of the delivery it copies. */
  attempt: number;
  /** The receiver's status; null after a transport error, a timeout, or a dropped attempt. */
  status: number | null;
  /** performance.now() when the attempt was due, in ms. */
  at: number;
  body: Buffer;
  headers: Record<string, string>;
  error?: string;
  dropped?: boolean;
  duplicate?: boolean;
}

export interface ContentInfo {
  sha256: string;
  size: number;
  filename?: string;
  mimeType?: string;
}

export type JobOutcome = { kind: 'completed'; pages: string[] } | { kind: 'failed'; code: string; message: string };

export interface FakeJob {
  id: string;
  /** SHA-256 of the (first) uploaded document. */
  sha256: string;
  files: ContentInfo[];
  /** The provider's status word as last observed. */
  status: string;
  terminal: boolean;
  /** Reads of this job so far. */
  polls: number;
  /** Decided at submission from `texts` / `failures`; revealed when the job finishes. */
  outcome: JobOutcome;
  /** Page count of the outcome (1 when the text has no page split). */
  pageCount: number;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  idempotencyKey?: string;
  /** Per-request callback (OCRQueen options.callback_url, qomplement webhook_url). */
  callbackUrl?: string;
  /** Answered complete in the submit response itself (OCRQueen sync, qomplement small files). */
  inline: boolean;
  /** Provider-specific request fields kept for rendering (options, model, template_id...). */
  params: Record<string, unknown>;
  deleted: boolean;
  progress: ProgressOptions;
}
