/**
 * qomplement (StructDatafy API) fake, following its published API (as docs/providers/qomplement.md summarises it).
 * Base URL `…/v1`, Bearer `sd_<48 hex>`. FastAPI-style errors: `{"detail": "…"}`, or a list of `{loc,msg,type}` on 422.
 */
import { randomUUID } from 'node:crypto';
import { bearerToken, header, iso, json } from './helpers.js';
import { parseBoundary, parseMultipart, textField, type MultipartPart } from './multipart.js';
import type { FakeContext, ProviderDefinition, ProviderHandlers } from './server.js';
import type { FakeJob, FakeOptions, FakeRequest, FakeResponse } from './types.js';

export interface QomplementOptions extends FakeOptions {
  /** Largest page count still answered inline (200) for one file without webhook_url; default 5. */
  syncMaxPages?: number;
}

export const QOMPLEMENT_DEFAULT_KEY = `sd_${'0123456789abcdef'.repeat(3)}`;
export const QOMPLEMENT_SYNC_MAX_PAGES = 5;
export const QOMPLEMENT_DEFAULT_PER_MINUTE = 60;
const MODELS = ['qomplement-OCR-v1', 'qomplement-OCR-XL-v1'];
const OUTPUT_FORMATS = ['json', 'csv', 'xml'];
const FIELD_TYPES = ['string', 'number', 'date', 'identifier'];

export const qomplement: ProviderDefinition<QomplementOptions> = {
  name: 'qomplement',
  basePath: '/v1',
  defaultApiKey: QOMPLEMENT_DEFAULT_KEY,
  states: { nonTerminal: ['pending', 'processing'], completed: 'completed', failed: () => 'failed' },
  newJobId: () => randomUUID(),
  build: buildQomplement,
};

type Invalid = { loc: string[]; msg: string; type: string };

function buildQomplement(ctx: FakeContext<QomplementOptions>): ProviderHandlers {
  const { store } = ctx;
  const detail = (status: number, message: string, headers?: Record<string, string>) => json(status, { detail: message }, headers);
  const invalid = (errors: Invalid[]) => json(422, { detail: errors });

  function submit(req: FakeRequest): FakeResponse {
    const boundary = parseBoundary(header(req.headers, 'content-type'));
    const parts = boundary ? parseMultipart(req.body, boundary) : null;
    if (!parts) return invalid([{ loc: ['body'], msg: 'Expected multipart/form-data', type: 'value_error' }]);
    // The docs name the part `file`, the OpenAPI `files`: both are accepted, repeated for several documents.
    const files = parts.filter((p) => p.name === 'file' || p.name === 'files');
    if (files.length === 0) return invalid([{ loc: ['body', 'files'], msg: 'Field required', type: 'missing' }]);
    if (files.some((f) => f.data.length === 0)) return detail(400, 'Uploaded file is empty');
    const fields = parseFields(parts);
    if ('errors' in fields) return invalid(fields.errors);

    const job = store.create({
      files: files.map((f: MultipartPart) => ({ data: f.data, filename: f.filename, mimeType: f.contentType })),
      // No idempotency in this API: the key is only recorded.
      idempotencyKey: header(req.headers, 'idempotency-key'),
      callbackUrl: fields.webhook_url,
      params: { ...fields },
    });
    const syncMax = ctx.options().syncMaxPages ?? QOMPLEMENT_SYNC_MAX_PAGES;
    if (files.length === 1 && job.pageCount <= syncMax && !fields.webhook_url) {
      store.finishInline(job);
      // assumed: an inline failure answers 200 with status "failed" and the job's error object
      const ok = job.outcome.kind === 'completed';
      return json(200, { id: job.id, status: job.status, result: ok ? renderResult(job) : null, ...(!ok && { error: errorOf(job) }) });
    }
    // assumed: the 202 body is not shown; the job id is at $.id as the known client reads it
    return json(202, { id: job.id, type: 'extract', status: job.status, created_at: iso(job.createdAt) });
  }

  function getJob(_req: FakeRequest, [id]: string[]): FakeResponse {
    const job = store.get(id);
    if (!job) return detail(404, 'Job not found');
    return json(200, renderJob(store.observe(job)));
  }

  function listJobs(req: FakeRequest): FakeResponse {
    const limit = Number(req.query.get('limit') ?? 20);
    const offset = Number(req.query.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) {
      return invalid([{ loc: ['query', 'limit'], msg: 'Input should be between 1 and 100', type: 'value_error' }]);
    }
    const status = req.query.get('status');
    const all = [...store.jobs.values()].filter((j) => !j.deleted && (!status || j.status === status));
    return json(200, { jobs: all.slice(offset, offset + limit).map(renderJob), total: all.length, has_more: offset + limit < all.length });
  }

  return {
    authenticate(req, apiKey) {
      const auth = bearerToken(req.headers);
      const challenge = { 'WWW-Authenticate': 'Bearer' };
      if (auth.kind === 'missing') return detail(401, 'Not authenticated', challenge);
      return auth.kind === 'token' && auth.token === apiKey ? null : detail(401, 'Could not validate credentials', challenge);
    },
    forbidden: () => detail(403, 'API key revoked or expired'),
    error: (status, message) => detail(status, status === 404 ? 'Not Found' : message),
    rateLimited: (info) => {
      const perMinute = info.limit > 0 ? Math.round((info.limit * 60_000) / info.windowMs) : QOMPLEMENT_DEFAULT_PER_MINUTE;
      return detail(429, `Rate limit exceeded. ${perMinute} requests per minute allowed.`);
    },
    routes: [
      { method: 'POST', pattern: /^\/extract$/, handle: submit },
      { method: 'GET', pattern: /^\/jobs$/, handle: listJobs },
      { method: 'GET', pattern: /^\/jobs\/([^/]+)$/, handle: getJob },
    ],
  };
}

interface ExtractFields {
  model: string;
  output_format: string;
  detail: boolean;
  schema?: Array<{ name: string; type: string }>;
  chunk_size?: number;
  chunk_overlap: number;
  webhook_url?: string;
}

function parseFields(parts: MultipartPart[]): ExtractFields | { errors: Invalid[] } {
  const errors: Invalid[] = [];
  const bad = (field: string, msg: string, type = 'value_error') => errors.push({ loc: ['body', field], msg, type });
  const model = textField(parts, 'model') ?? MODELS[0];
  if (!MODELS.includes(model)) bad('model', `Input should be ${MODELS.join(' or ')}`, 'literal_error');
  const outputFormat = textField(parts, 'output_format') ?? 'json';
  if (!OUTPUT_FORMATS.includes(outputFormat)) bad('output_format', 'Input should be json, csv or xml', 'literal_error');
  const detailText = textField(parts, 'detail') ?? 'false';
  if (!/^(true|false|1|0)$/i.test(detailText)) bad('detail', 'Input should be a valid boolean', 'bool_parsing');
  const intField = (name: string, min: number) => {
    const text = textField(parts, name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) bad(name, `Input should be an integer ≥ ${min}`, 'int_parsing');
    return n;
  };
  const chunkSize = intField('chunk_size', 1);
  const chunkOverlap = intField('chunk_overlap', 0) ?? 0;
  const webhookUrl = textField(parts, 'webhook_url');
  if (webhookUrl !== undefined && !/^https?:\/\/\S+$/.test(webhookUrl)) bad('webhook_url', 'Input should be a valid URL', 'url_parsing');
  let schema: ExtractFields['schema'];
  const schemaText = textField(parts, 'schema');
  if (schemaText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(schemaText);
      const valid =
        Array.isArray(parsed) &&
        parsed.every((f) => typeof f?.name === 'string' && f.name !== '' && FIELD_TYPES.includes(f?.type));
      if (valid) schema = parsed as ExtractFields['schema'];
      else bad('schema', `Expected a JSON array of {name, type: ${FIELD_TYPES.join('|')}}`);
    } catch {
      bad('schema', 'Invalid JSON', 'json_invalid');
    }
  }
  if (errors.length > 0) return { errors };
  return {
    model,
    output_format: outputFormat,
    detail: /^(true|1)$/i.test(detailText),
    chunk_overlap: chunkOverlap,
    ...(schema && { schema }),
    ...(chunkSize !== undefined && { chunk_size: chunkSize }),
    ...(webhookUrl !== undefined && { webhook_url: webhookUrl }),
  };
}

function errorOf(job: FakeJob): { code: string; message: string } | null {
  return job.outcome.kind === 'failed' ? { code: job.outcome.code, message: job.outcome.message } : null;
}

export function renderJob(job: FakeJob): Record<string, unknown> {
  const done = job.terminal;
  return {
    id: job.id,
    type: 'extract',
    status: job.status,
    progress: job.status === 'processing' ? { current: Math.floor(job.pageCount / 2), total: job.pageCount, message: 'Extracting' } : null,
    result: done && job.outcome.kind === 'completed' ? renderResult(job) : null,
    error: done ? errorOf(job) : null,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    completed_at: done ? iso(job.finishedAt) : null,
    processing_time_ms: done && job.finishedAt ? job.finishedAt.getTime() - job.createdAt.getTime() : null,
  };
}

/**
 * The extract result. The fake's fields: `text` (all pages joined by a blank line) unless a schema names
 * others; a schema field called `text` gets the text, the rest `<name> of <first 12 hex>`.
 */
function renderResult(job: FakeJob): Record<string, unknown> {
  const params = job.params as unknown as ExtractFields;
  const text = job.outcome.kind === 'completed' ? job.outcome.pages.join('\n\n') : '';
  const fields = params.schema
    ? Object.fromEntries(params.schema.map((f) => [f.name, f.name === 'text' ? text : `${f.name} of ${job.sha256.slice(0, 12)}`]))
    : { text };
  const step = Math.max(1, (params.chunk_size ?? 0) - params.chunk_overlap);
  const chunks = params.chunk_size
    ? Array.from({ length: Math.max(1, Math.ceil(text.length / step)) }, (_, i) => text.slice(i * step, i * step + params.chunk_size!))
    : undefined;
  return {
    model: params.model,
    document_type: 'document',
    language: 'en',
    confidence: 95,
    fields,
    tables: [],
    pages_processed: job.pageCount,
    processing_time_ms: job.finishedAt ? job.finishedAt.getTime() - job.createdAt.getTime() : 0,
    ...(params.model === 'qomplement-OCR-XL-v1' && { markdown: text }),
    ...(params.detail && { entities: [], summary: '', primary_entities: [], secondary_entities: [] }),
    ...(chunks && { chunks }),
  };
}
