/**
 * DocExtract (Adteco) fake, following its published API (as docs/providers/docextract.md summarises it). Base URL
 * `…/v1`, Bearer `sk_test_…`.
 * The submit path, field names and status are unpublished: the contract's stated assumptions are used
 * (`POST /v1/documents`, JSON with a base64 `document`), each marked "assumed" below.
 */
import { bearerToken, decodeBase64, header, iso, isRecord, json, randomHex, readJson, requestId } from './helpers.js';
import type { FakeContext, ProviderDefinition, ProviderHandlers } from './server.js';
import type { FakeJob, FakeOptions, FakeRequest, FakeResponse } from './types.js';

export interface DocExtractOptions extends FakeOptions {
  /** Known extractor ids; when set, others get 404. Default: any `ext_…` id is accepted. */
  extractors?: string[];
  /** Status of a successful submit (the contract allows any 2xx); default 202 (assumed). */
  submitStatus?: 200 | 201 | 202;
  /** Decoded document size cap (assumed; the contract publishes none); default 20 MiB. */
  maxFileBytes?: number;
}

export const DOCEXTRACT_DEFAULT_KEY = 'sk_test_fake0docextract0key000000';
export const DOCEXTRACT_MAX_FILE_BYTES = 20 * 1024 * 1024;
// assumed: the contract confirms PDF and names PNG, JPEG and TIFF as the types to assume
const ACCEPTED_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/tiff']);
const DOCS_URL = 'https://docs.adteco.com/docs/docextract-api/errors';

const DEFAULT_CODES: Record<number, string> = {
  400: 'invalid_request', // assumed
  401: 'invalid_api_key',
  403: 'insufficient_scope', // assumed: the docs only say "key lacks the needed scope"
  404: 'not_found',
  405: 'method_not_allowed', // assumed
  409: 'already_exists',
  413: 'file_too_large', // assumed
  422: 'unprocessable',
  429: 'rate_limit_exceeded', // assumed: the 429 body code is not documented
  500: 'internal_error',
  503: 'service_unavailable',
};

export const docextract: ProviderDefinition<DocExtractOptions> = {
  name: 'docextract',
  basePath: '/v1',
  defaultApiKey: DOCEXTRACT_DEFAULT_KEY,
  states: { nonTerminal: ['queued', 'processing'], completed: 'completed', failed: () => 'failed' },
  newJobId: () => `job_${randomHex(12)}`,
  build: buildDocExtract,
};

function buildDocExtract(ctx: FakeContext<DocExtractOptions>): ProviderHandlers {
  const { store } = ctx;
  const fail = (status: number, code: string, message: string, suggestion?: string): FakeResponse =>
    json(status, {
      error: { code, message, ...(suggestion && { suggestion }), status, request_id: requestId(), documentation_url: DOCS_URL },
    });
  const render = (job: FakeJob) => renderJob(job, ctx.baseUrl());

  function submit(req: FakeRequest): FakeResponse {
    const body = readJson(req);
    if (!isRecord(body)) return fail(400, 'invalid_request', 'Expected a JSON object body');
    const { extractor_id: extractorId, document, mime_type: mimeType, filename, metadata } = body;
    if (typeof extractorId !== 'string' || !extractorId.startsWith('ext_')) {
      return fail(400, 'invalid_request', 'extractor_id (ext_…) is required');
    }
    const known = ctx.options().extractors;
    if (known && !known.includes(extractorId)) return fail(404, 'not_found', `Extractor ${extractorId} not found`);
    if (typeof mimeType !== 'string') return fail(400, 'invalid_request', 'mime_type is required');
    if (!ACCEPTED_TYPES.has(mimeType.toLowerCase())) {
      return fail(422, 'unsupported_file_type', `Unsupported mime_type ${mimeType}`, 'Send a PDF, PNG, JPEG or TIFF');
    }
    if (metadata !== undefined && !isRecord(metadata)) return fail(400, 'invalid_request', 'metadata must be an object');
    if (filename !== undefined && typeof filename !== 'string') return fail(400, 'invalid_request', 'filename must be a string');
    const data = typeof document === 'string' ? decodeBase64(document) : null;
    if (!data || data.length === 0) {
      return fail(400, 'document_unreadable', 'document must be non-empty base64', 'Base64-encode the file bytes');
    }
    const max = ctx.options().maxFileBytes ?? DOCEXTRACT_MAX_FILE_BYTES;
    if (data.length > max) return fail(413, 'file_too_large', `The document exceeds ${max} bytes`);
    const job = store.create({
      files: [{ data, filename, mimeType: mimeType.toLowerCase() }],
      // No idempotency in this API: the key is only recorded.
      idempotencyKey: header(req.headers, 'idempotency-key'),
      params: { extractor_id: extractorId, metadata: metadata ?? {} },
    });
    return json(ctx.options().submitStatus ?? 202, render(job));
  }

  function getJob(_req: FakeRequest, [id]: string[]): FakeResponse {
    const job = store.get(id);
    if (!job) return fail(404, 'not_found', `Document job ${id} not found`);
    return json(200, render(store.observe(job)));
  }

  function listJobs(req: FakeRequest): FakeResponse {
    const q = req.query;
    const limit = Number(q.get('limit') ?? 20);
    const offset = Number(q.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) {
      return fail(400, 'invalid_request', 'limit must be 1-100 and offset ≥ 0');
    }
    const after = q.get('created_after');
    const before = q.get('created_before');
    const jobs = [...store.jobs.values()].filter(
      (j) =>
        !j.deleted &&
        (!q.get('extractor_id') || j.params.extractor_id === q.get('extractor_id')) &&
        (!q.get('status') || j.status === q.get('status')) &&
        (!after || j.createdAt >= new Date(after)) &&
        (!before || j.createdAt <= new Date(before)),
    );
    // assumed: the list envelope is not shown in the docs
    return json(200, { data: jobs.slice(offset, offset + limit).map(render), total: jobs.length, has_more: offset + limit < jobs.length });
  }

  function credits(): FakeResponse {
    const used = [...store.jobs.values()].reduce((n, j) => n + creditsFor(j), 0);
    return json(200, { balance: 1000 - used, total_purchased: 1000, total_used: used, currency: 'credits', last_purchase: null });
  }

  /** `POST /v1/webhooks/test {webhook_url}` makes the service send a `webhook.test` event there. */
  function testWebhook(req: FakeRequest): FakeResponse {
    const body = readJson(req);
    const url = isRecord(body) ? body.webhook_url : undefined;
    if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) return fail(400, 'invalid_request', 'webhook_url must be an http(s) URL');
    ctx.sendEvent('webhook.test', { url });
    // assumed: the answer's body is not documented
    return json(200, { success: true, message: `Test webhook sent to ${url}` });
  }

  return {
    authenticate(req, apiKey) {
      const auth = bearerToken(req.headers);
      if (auth.kind !== 'token') return fail(401, 'missing_authorization', 'Authorization: Bearer sk_… is required');
      return auth.token === apiKey ? null : fail(401, 'invalid_api_key', 'Invalid API key');
    },
    forbidden: () => fail(403, 'insufficient_scope', 'This API key lacks the required scope'),
    error: (status, message) => fail(status, DEFAULT_CODES[status] ?? 'internal_error', message),
    rateLimited: (info) => ({
      ...fail(429, 'rate_limit_exceeded', 'Rate limit exceeded'),
      headers: info.limit > 0 ? rateHeaders(info) : {},
    }),
    // The docs put these on every response; Reset is in Unix seconds here.
    rateHeaders: (info) => rateHeaders(info),
    routes: [
      { method: 'POST', pattern: /^\/documents$/, handle: submit },
      { method: 'GET', pattern: /^\/documents$/, handle: listJobs },
      { method: 'GET', pattern: /^\/documents\/([^/]+)$/, handle: getJob },
      { method: 'GET', pattern: /^\/credits$/, handle: credits },
      { method: 'POST', pattern: /^\/webhooks\/test$/, handle: testWebhook },
    ],
  };
}

function rateHeaders(info: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(info.limit),
    'X-RateLimit-Remaining': String(info.remaining),
    'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + info.resetSeconds),
  };
}

/** Credits by page band (credits page): 1 page 1; up to 5: 2; up to 10: 3; up to 20: 5; more: 8. */
function creditsFor(job: FakeJob): number {
  if (!job.terminal || job.outcome.kind !== 'completed') return 0;
  const p = job.pageCount;
  return p <= 1 ? 1 : p <= 5 ? 2 : p <= 10 ? 3 : p <= 20 ? 5 : 8;
}

/**
 * The document-job object. The result is the extractor's fields: the fake's "extractor" has two, the
 * document text (`text`, pages joined by a blank line) and `page_count`.
 */
export function renderJob(job: FakeJob, baseUrl: string): Record<string, unknown> {
  const done = job.terminal;
  const outcome = job.outcome;
  const completed = done && outcome.kind === 'completed';
  return {
    id: job.id,
    org_id: 'org_fake',
    extractor_id: job.params.extractor_id,
    status: job.status,
    document_url: `${baseUrl}/files/${job.id}`,
    mime_type: job.files[0].mimeType ?? null,
    file_size_bytes: job.files[0].size,
    extracted_data: completed ? { text: outcome.pages.join('\n\n'), page_count: job.pageCount } : null,
    confidence: completed ? { text: 0.98, page_count: 1 } : null,
    processing_time_ms: done && job.finishedAt ? job.finishedAt.getTime() - job.createdAt.getTime() : null,
    cost_credits: creditsFor(job),
    error_details:
      done && outcome.kind === 'failed'
        ? { code: outcome.code, message: outcome.message, suggestion: 'Check the document and submit it again' }
        : null,
    metadata: job.params.metadata ?? {},
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    completed_at: completed ? iso(job.finishedAt) : null,
    ...(done && outcome.kind === 'failed' && { failed_at: iso(job.finishedAt) }),
  };
}
