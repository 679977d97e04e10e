/**
 * LeapOCR fake, following LeapOCR's published API (as docs/providers/leapocr.md summarises it). Base URL
 * `…/api/v1`, key in `X-API-KEY`.
 * Uploads are in leapocr-upload.ts; this file has auth, status, paginated results and delete.
 */
import { randomUUID } from 'node:crypto';
import { header, iso, json } from './helpers.js';
import { STORAGE_PREFIX, uploadRoutes, type LeapOcrOptions, type PendingUpload } from './leapocr-upload.js';
import type { FakeContext, ProviderDefinition, ProviderHandlers } from './server.js';
import type { FakeJob, FakeRequest, FakeResponse } from './types.js';

export type { LeapOcrOptions } from './leapocr-upload.js';

export const LEAPOCR_DEFAULT_KEY = 'leap_fake_0123456789abcdef';
export const LEAPOCR_MAX_RESULT_LIMIT = 1000;

const DEFAULT_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'AUTHENTICATION_ERROR',
  402: 'LESS_CREDITS',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST', // assumed: no dedicated code
  409: 'CONFLICT',
  413: 'BAD_REQUEST', // assumed
  422: 'VALIDATION_ERROR',
  429: 'TOO_MANY_REQUESTS',
};

export const leapocr: ProviderDefinition<LeapOcrOptions> = {
  name: 'leapocr',
  basePath: '/api/v1',
  defaultApiKey: LEAPOCR_DEFAULT_KEY,
  // LeapOCR failures carry free text only: the failure's code is not shown anywhere.
  states: { nonTerminal: ['pending', 'processing'], completed: 'completed', failed: () => 'failed' },
  newJobId: () => randomUUID(),
  build: buildLeapOcr,
};

function buildLeapOcr(ctx: FakeContext<LeapOcrOptions>): ProviderHandlers {
  const { store } = ctx;
  const uploads = new Map<string, PendingUpload>();
  const fail = (status: number, code: string, message: string, field?: string): FakeResponse =>
    json(status, { code, error: { message }, ...(field && { details: { field, reason: message } }) });

  /** A job that exists, or an initiated upload still waiting for its bytes (shown as pending). */
  function lookup(id: string): { job?: FakeJob; upload?: PendingUpload } | undefined {
    const job = store.get(id);
    if (job) return { job };
    const upload = uploads.get(id);
    return upload && !upload.completedBody ? { upload } : undefined;
  }

  function getStatus(_req: FakeRequest, [id]: string[]): FakeResponse {
    const found = lookup(id);
    if (!found) return fail(404, 'NOT_FOUND', `Job ${id} not found`);
    if (found.upload) return json(200, uploadStatus(found.upload));
    const job = store.observe(found.job!);
    return json(200, {
      id: job.id,
      status: job.status,
      file_name: job.files[0].filename ?? null,
      total_pages: job.pageCount,
      processed_pages: processedPages(job),
      processing_time: job.terminal && job.finishedAt ? (job.finishedAt.getTime() - job.createdAt.getTime()) / 1000 : 0,
      result_format: resultFormat(job),
      ...(job.terminal && job.outcome.kind === 'failed' && { error_message: job.outcome.message }),
      created_at: job.createdAt.toISOString(),
      template_name: (job.params.template_slug as string | undefined) ?? null,
      template_internal: false,
    });
  }

  function getResult(req: FakeRequest, [id]: string[]): FakeResponse {
    const page = Number(req.query.get('page') ?? 1);
    const limit = Number(req.query.get('limit') ?? 100);
    if (!Number.isInteger(page) || page < 1) return fail(400, 'VALIDATION_ERROR', 'page must be ≥ 1', 'page');
    if (!Number.isInteger(limit) || limit < 1 || limit > LEAPOCR_MAX_RESULT_LIMIT) {
      return fail(400, 'VALIDATION_ERROR', `limit must be 1-${LEAPOCR_MAX_RESULT_LIMIT}`, 'limit');
    }
    const found = lookup(id);
    if (!found) return fail(404, 'NOT_FOUND', `Job ${id} not found`);
    if (found.upload) {
      const { id: jobId, status, total_pages, processed_pages, result_format } = uploadStatus(found.upload);
      return json(202, { job_id: jobId, status, total_pages, processed_pages, result_format, error_message: null, completed_at: null });
    }
    const job = store.observe(found.job!);
    if (!job.terminal || job.outcome.kind === 'failed') {
      // 202 while unfinished (SDK-facing spec); assumed: a failed job answers 200 with the same status shape.
      return json(job.terminal ? 200 : 202, {
        job_id: job.id,
        status: job.status,
        total_pages: job.pageCount,
        processed_pages: processedPages(job),
        result_format: resultFormat(job),
        error_message: job.outcome.kind === 'failed' && job.terminal ? job.outcome.message : null,
        completed_at: job.terminal ? iso(job.finishedAt) : null,
      });
    }
    const texts = job.outcome.pages;
    const structured = resultFormat(job) === 'structured';
    const slice = texts.slice((page - 1) * limit, page * limit);
    return json(200, {
      job_id: job.id,
      status: job.status,
      file_name: job.files[0].filename ?? null,
      model: (job.params.model as string | undefined) ?? 'standard-v2',
      result_format: resultFormat(job),
      total_pages: job.pageCount,
      processed_pages: job.pageCount,
      credits_used: job.pageCount * (job.params.model === 'pro-v2' ? 3 : 1),
      completed_at: iso(job.finishedAt),
      pages: slice.map((text, i) => ({
        id: `${job.id}-p${(page - 1) * limit + i + 1}`,
        page_number: (page - 1) * limit + i + 1,
        result: structured ? { text } : text,
        confidence: 0.97,
        dimensions: { width: 1700, height: 2200 },
        bounding_boxes: [],
        has_bounding_boxes: false,
      })),
      pagination: { page, limit, total: texts.length, total_pages: Math.ceil(texts.length / limit) },
    });
  }

  function deleteJob(_req: FakeRequest, [id]: string[]): FakeResponse {
    const found = lookup(id);
    if (!found) return fail(404, 'NOT_FOUND', `Job ${id} not found`);
    if (found.job) store.remove(found.job);
    uploads.delete(id);
    return { status: 204 };
  }

  return {
    authenticate(req, apiKey) {
      const key = header(req.headers, 'x-api-key');
      if (key === undefined || key === '') return fail(401, 'AUTHENTICATION_ERROR', 'Missing X-API-KEY header');
      return key === apiKey ? null : fail(401, 'AUTHENTICATION_ERROR', 'Invalid API key');
    },
    forbidden: () => fail(403, 'FORBIDDEN', 'This API key may not access this resource'),
    error: (status, message) => fail(status, DEFAULT_CODES[status] ?? 'SYSTEM_ERROR', message),
    rateLimited: () => fail(429, 'TOO_MANY_REQUESTS', 'Too many requests'),
    isPublic: (req) => req.path.startsWith(STORAGE_PREFIX),
    routes: [
      ...uploadRoutes(ctx, uploads, fail),
      { method: 'GET', pattern: /^\/ocr\/status\/([^/]+)$/, handle: getStatus },
      { method: 'GET', pattern: /^\/ocr\/result\/([^/]+)$/, handle: getResult },
      { method: 'DELETE', pattern: /^\/ocr\/delete\/([^/]+)$/, handle: deleteJob },
    ],
  };
}

function resultFormat(job: FakeJob): string {
  return (job.params.format as string | undefined) ?? 'markdown';
}

function processedPages(job: FakeJob): number {
  if (job.terminal) return job.outcome.kind === 'completed' ? job.pageCount : 0;
  return job.status === 'processing' ? Math.floor(job.pageCount / 2) : 0;
}

function uploadStatus(upload: PendingUpload) {
  return {
    id: upload.jobId,
    status: 'pending',
    file_name: upload.fileName,
    total_pages: 0,
    processed_pages: 0,
    processing_time: 0,
    result_format: (upload.params.format as string | undefined) ?? 'markdown',
    created_at: upload.createdAt.toISOString(),
    template_name: null,
    template_internal: false,
  };
}
