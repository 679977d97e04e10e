/**
 * OCRQueen fake, following OCRQueen's published API (as docs/providers/ocrqueen.md summarises it). Base URL is the
 * bare host; paths under /v1.
 * Assumptions where the contract is silent are marked "assumed".
 */
import { header, iso, json, randomHex, requestId, bearerToken, isRecord } from './helpers.js';
import { parseBoundary, parseMultipart, textField, type MultipartPart } from './multipart.js';
import type { RateInfo } from './rate-limit.js';
import type { FakeContext, ProviderDefinition, ProviderHandlers } from './server.js';
import type { FakeJob, FakeOptions, FakeRequest, FakeResponse } from './types.js';

export interface OcrQueenOptions extends FakeOptions {
  /** `detail` = documented `{"detail":"CODE: text"}` (default); `error` = the SDK tests' `{"error":{code,message}}`. */
  errorShape?: 'detail' | 'error';
  /** Retry-After on the 202, the suggested first poll delay in seconds; default 1. */
  firstPollSeconds?: number;
  maxFileBytes?: number;
}

export const OCRQUEEN_MAX_FILE_BYTES = 100 * 1024 * 1024;
export const OCRQUEEN_DEFAULT_KEY = 'pk_test_fake0ocrqueen0key0000000000';

const ACCEPTED_TYPES = new Map<string, 'pdf' | 'pptx' | 'image'>([
  ['application/pdf', 'pdf'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'pptx'],
  // assumed: the contract does not say under which MIME type .ppt is accepted
  ['application/vnd.ms-powerpoint', 'pptx'],
  ['image/png', 'image'],
  ['image/jpeg', 'image'],
  ['image/webp', 'image'],
  ['image/heic', 'image'],
  ['image/heif', 'image'],
]);

const DEFAULT_CODES: Record<number, string> = {
  400: 'INVALID_OPTIONS',
  401: 'INVALID_API_KEY',
  403: 'INSUFFICIENT_SCOPE',
  404: 'NOT_FOUND', // assumed for unknown routes; jobs use JOB_NOT_FOUND
  405: 'METHOD_NOT_ALLOWED', // assumed
  413: 'FILE_TOO_LARGE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE', // assumed
};

const BOOLEAN_OPTIONS = ['bypass_cache', 'include_layout', 'preserve_images'];
const HOURS_OPTIONS = ['retain_hours', 'result_retain_hours'];

export const ocrqueen: ProviderDefinition<OcrQueenOptions> = {
  name: 'ocrqueen',
  basePath: '',
  defaultApiKey: OCRQUEEN_DEFAULT_KEY,
  states: { nonTerminal: ['queued', 'processing'], completed: 'completed', failed: () => 'failed' },
  newJobId: () => `job_${randomHex(12)}`,
  build: buildOcrQueen,
};

function buildOcrQueen(ctx: FakeContext<OcrQueenOptions>): ProviderHandlers {
  const { store } = ctx;
  const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => {
    const body = ctx.options().errorShape === 'error' ? { error: { code, message } } : { detail: `${code}: ${message}` };
    return json(status, body, { 'X-Request-ID': requestId(), ...headers });
  };
  const statusUrl = (job: FakeJob) => `${ctx.baseUrl()}/v1/jobs/${job.id}`;
  const render = (job: FakeJob) => renderJob(job, statusUrl(job));
  const findJob = (id: string) => store.get(id);

  function submit(req: FakeRequest): FakeResponse {
    const boundary = parseBoundary(header(req.headers, 'content-type'));
    const parts = boundary ? parseMultipart(req.body, boundary) : null;
    // assumed: a body that is not multipart, or has no file part, gets EMPTY_FILE
    if (!parts) return fail(400, 'EMPTY_FILE', 'Expected multipart/form-data with a "file" part');
    const file = parts.find((p) => p.name === 'file');
    if (!file) return fail(400, 'EMPTY_FILE', 'Missing "file" part');
    const checked = checkFile(file, ctx.options().maxFileBytes ?? OCRQUEEN_MAX_FILE_BYTES);
    if (typeof checked !== 'string') return fail(400, checked.code, checked.message);
    const options = parseOptions(textField(parts, 'options'));
    if ('code' in options) return fail(400, options.code, options.message);

    const key = header(req.headers, 'idempotency-key');
    if (key !== undefined) {
      if (key.length < 1 || key.length > 255) return fail(400, 'INVALID_OPTIONS', 'Idempotency-Key must be 1-255 characters');
      const original = store.findByIdempotencyKey(key);
      // assumed: a reused key answers with the original job, whatever the new body holds
      if (original) return accepted(original);
    }
    const job = store.create({
      files: [{ data: file.data, filename: file.filename, mimeType: checked }],
      idempotencyKey: key,
      callbackUrl: typeof options.value.callback_url === 'string' ? options.value.callback_url : undefined,
      params: { options: options.value },
    });
    // assumed: sync=true always finishes inside sync_timeout_seconds, so it answers 200 with the full job
    if (/^(true|1)$/i.test(textField(parts, 'sync') ?? '')) return json(200, render(store.finishInline(job)));
    return accepted(job);
  }

  function accepted(job: FakeJob): FakeResponse {
    if (job.terminal) return json(200, render(job));
    const body = { job_id: job.id, status: job.status, status_url: statusUrl(job), estimated_seconds: 2 };
    return json(202, body, { 'Retry-After': String(ctx.options().firstPollSeconds ?? 1) });
  }

  function getJob(_req: FakeRequest, [id]: string[]): FakeResponse {
    const job = findJob(id);
    if (!job) return fail(404, 'JOB_NOT_FOUND', `Job ${id} not found`);
    return json(200, render(store.observe(job)));
  }

  function cancelJob(_req: FakeRequest, [id]: string[]): FakeResponse {
    const job = findJob(id);
    if (!job) return fail(404, 'JOB_NOT_FOUND', `Job ${id} not found`);
    if (job.terminal) return fail(409, `JOB_ALREADY_${job.status.toUpperCase()}`, `Job is already ${job.status}`);
    store.stop(job, 'cancelled');
    return json(200, render(job));
  }

  function listJobs(req: FakeRequest): FakeResponse {
    const limit = Number(req.query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(400, 'INVALID_OPTIONS', 'limit must be 1-100');
    const status = req.query.get('status');
    const offset = Number(req.query.get('cursor') ?? 0) || 0;
    const all = [...store.jobs.values()].filter((j) => !j.deleted && (!status || j.status === status));
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? String(offset + limit) : null;
    return json(200, { jobs: page.map(render), next_cursor: next });
  }

  return {
    authenticate(req, apiKey) {
      const auth = bearerToken(req.headers);
      if (auth.kind === 'missing') return fail(401, 'MISSING_API_KEY', 'Authorization header is required');
      if (auth.kind === 'malformed') return fail(401, 'INVALID_AUTH_FORMAT', 'Expected "Authorization: Bearer <key>"');
      return auth.token === apiKey ? null : fail(401, 'INVALID_API_KEY', 'Invalid API key');
    },
    forbidden: () => fail(403, 'INSUFFICIENT_SCOPE', 'API key lacks the required scope'),
    error: (status, message) => fail(status, DEFAULT_CODES[status] ?? 'INTERNAL_ERROR', message),
    // A forced 429 without a configured limit (limit 0) carries no X-RateLimit-* headers.
    rateLimited: (info) =>
      fail(429, 'RATE_LIMITED', 'Rate limit exceeded', info.limit > 0 ? rateHeaders({ ...info, remaining: 0 }) : {}),
    // The contract puts X-RateLimit-* on successful answers; Reset is seconds until reset, not an epoch.
    rateHeaders: (info, status) => (status >= 400 ? {} : rateHeaders(info)),
    routes: [
      { method: 'POST', pattern: /^\/v1\/extract$/, handle: submit },
      { method: 'GET', pattern: /^\/v1\/jobs$/, handle: listJobs },
      { method: 'GET', pattern: /^\/v1\/jobs\/([^/]+)$/, handle: getJob },
      { method: 'DELETE', pattern: /^\/v1\/jobs\/([^/]+)$/, handle: cancelJob },
    ],
  };
}

function rateHeaders(info: RateInfo): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(info.limit),
    'X-RateLimit-Remaining': String(info.remaining),
    'X-RateLimit-Reset': String(info.resetSeconds),
  };
}

function checkFile(file: MultipartPart, maxBytes: number): string | { code: string; message: string } {
  const type = (file.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!type || type === 'application/octet-stream') {
    return { code: 'UNSUPPORTED_FILE_TYPE', message: 'The file part needs a real MIME type' };
  }
  if (!ACCEPTED_TYPES.has(type)) return { code: 'UNSUPPORTED_FILE_TYPE', message: `Unsupported file type ${type}` };
  if (file.data.length === 0) return { code: 'EMPTY_FILE', message: 'The file is empty' };
  if (file.data.length > maxBytes) return { code: 'FILE_TOO_LARGE', message: `The file exceeds ${maxBytes} bytes` };
  return type;
}

type ParsedOptions = { value: Record<string, unknown> } | { code: string; message: string };

function parseOptions(text: string | undefined): ParsedOptions {
  if (text === undefined || text.trim() === '') return { value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { code: 'INVALID_OPTIONS_JSON', message: 'options is not valid JSON' };
  }
  if (!isRecord(value)) return { code: 'INVALID_OPTIONS', message: 'options must be a JSON object' };
  // API 0.6.0 has a single pipeline and rejects the old profile switch.
  if ('extraction_profile' in value) return { code: 'INVALID_OPTIONS', message: 'extraction_profile is no longer accepted' };
  for (const k of HOURS_OPTIONS) {
    const v = value[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 168)) {
      return { code: 'INVALID_OPTIONS', message: `${k} must be an integer 0-168` };
    }
  }
  for (const k of BOOLEAN_OPTIONS) {
    if (value[k] !== undefined && typeof value[k] !== 'boolean') return { code: 'INVALID_OPTIONS', message: `${k} must be a boolean` };
  }
  const cb = value.callback_url;
  if (cb !== undefined && cb !== null && (typeof cb !== 'string' || !/^https?:\/\//.test(cb))) {
    return { code: 'INVALID_OPTIONS', message: 'callback_url must be an http(s) URL' };
  }
  return { value };
}

/** The job object of `GET /v1/jobs/{id}`; pages are joined with a blank line into `markdown`. */
export function renderJob(job: FakeJob, statusUrl: string): Record<string, unknown> {
  const file = job.files[0];
  const completed = job.terminal && job.outcome.kind === 'completed';
  const failed = job.terminal && job.outcome.kind === 'failed';
  const options = (job.params.options ?? {}) as Record<string, unknown>;
  const retainHours = typeof options.retain_hours === 'number' ? options.retain_hours : 24;
  return {
    job_id: job.id,
    status: job.status,
    file_info: { filename: file.filename ?? null, size_bytes: file.size, mime_type: file.mimeType ?? null },
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    completed_at: job.terminal ? iso(job.finishedAt) : null,
    estimated_seconds: job.terminal ? 0 : 2,
    status_url: statusUrl,
    expires_at: new Date(job.createdAt.getTime() + retainHours * 3_600_000).toISOString(),
    document: completed ? renderDocument(job) : null,
    markdown: completed ? markdownOf(job) : null,
    cache_hit: false,
    error: failed && job.outcome.kind === 'failed' ? { code: job.outcome.code, message: job.outcome.message } : null,
  };
}

function markdownOf(job: FakeJob): string {
  return job.outcome.kind === 'completed' ? job.outcome.pages.join('\n\n') : '';
}

function renderDocument(job: FakeJob): Record<string, unknown> {
  const pages = job.outcome.kind === 'completed' ? job.outcome.pages : [];
  const file = job.files[0];
  return {
    source: {
      kind: ACCEPTED_TYPES.get(file.mimeType ?? '') ?? 'pdf',
      filename: file.filename ?? null,
      file_hash: job.sha256,
      page_count: job.pageCount,
      page_sizes: pages.map(() => ({ width: 612, height: 792 })),
    },
    extraction: {
      model: 'ocrqueen-fake',
      profile: 'standard',
      duration_ms: job.finishedAt && job.startedAt ? job.finishedAt.getTime() - job.startedAt.getTime() : 0,
      faithfulness_score: 0.99,
      per_page_failures: [],
    },
    pages: pages.map((text, i) => ({ page_number: i + 1, blocks: [{ type: 'text', text }] })),
    markdown: markdownOf(job),
  };
}
