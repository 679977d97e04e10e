/**
 * process-job (DocuProx) fake, following its published API (as docs/providers/process-job.md summarises it). Base
 * URL `…/v1`, raw key in `x-auth`. Errors are `{error, message}`; statuses are upper-case words with spaces.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { decodeBase64, header, isRecord, json, readJson } from './helpers.js';
import { parseBoundary, parseMultipart, textField } from './multipart.js';
import type { FakeContext, ProviderDefinition, ProviderHandlers } from './server.js';
import type { FakeJob, FakeOptions, FakeRequest, FakeResponse } from './types.js';

export interface ProcessJobOptions extends FakeOptions {
  /** Known template ids; when set, others get 404. Default: any non-empty id. */
  templates?: string[];
}

export const PROCESS_JOB_DEFAULT_KEY = 'dpx_fake_0123456789abcdef';
/** A failure whose code is one of these shows it as the job status; any other code shows `FAILED`. */
export const PROCESS_JOB_FAILURE_STATUSES = ['FAILED', 'PROCESS IMAGE FAILED', 'UNZIP FILE FAILED'];

export const processJob: ProviderDefinition<ProcessJobOptions> = {
  name: 'process-job',
  basePath: '/v1',
  defaultApiKey: PROCESS_JOB_DEFAULT_KEY,
  states: {
    nonTerminal: ['NEW', 'PROCESSING IMAGE'],
    completed: 'SUCCESS',
    failed: (f) => (PROCESS_JOB_FAILURE_STATUSES.includes(f.code) ? f.code : 'FAILED'),
  },
  newJobId: () => randomUUID(),
  build: buildProcessJob,
};

type Submission = { data: Buffer; filename?: string; mimeType?: string; templateId: unknown; staticValues: unknown };

function buildProcessJob(ctx: FakeContext<ProcessJobOptions>): ProviderHandlers {
  const { store } = ctx;
  const fail = (status: number, message: string, headers?: Record<string, string>): FakeResponse =>
    json(status, { error: STATUS_CODES[status] ?? 'Error', message }, headers);

  /** JSON `{template_id, actual_image: base64, static_values}` or multipart with an `actual_image` file part. */
  function readSubmission(req: FakeRequest): Submission | FakeResponse {
    const boundary = parseBoundary(header(req.headers, 'content-type'));
    if (boundary) {
      const parts = parseMultipart(req.body, boundary);
      if (!parts) return fail(400, 'Malformed multipart body');
      const file = parts.find((p) => p.name === 'actual_image');
      if (!file) return fail(400, 'actual_image is required');
      let staticValues: unknown;
      const text = textField(parts, 'static_values');
      try {
        staticValues = text === undefined || text === '' ? undefined : JSON.parse(text);
      } catch {
        return fail(400, 'static_values must be JSON');
      }
      return { data: file.data, filename: file.filename, mimeType: file.contentType, templateId: textField(parts, 'template_id'), staticValues };
    }
    const body = readJson(req);
    if (body === undefined) return fail(415, 'Send application/json or multipart/form-data');
    if (!isRecord(body)) return fail(400, 'Expected a JSON object body');
    if (typeof body.actual_image !== 'string') return fail(400, 'actual_image is required');
    // Data URLs are accepted: the prefix is stripped.
    const data = decodeBase64(body.actual_image.replace(/^data:[^,]*;base64,/, ''));
    if (!data) return fail(400, 'actual_image must be base64');
    return { data, templateId: body.template_id, staticValues: body.static_values };
  }

  function accept(req: FakeRequest, sub: Submission): FakeResponse {
    if (typeof sub.templateId !== 'string' || sub.templateId === '') return fail(400, 'template_id is required');
    const known = ctx.options().templates;
    if (known && !known.includes(sub.templateId)) return fail(404, 'Template not found');
    const staticValues = sub.staticValues ?? {};
    if (!isRecord(staticValues) || !Object.values(staticValues).every((v) => typeof v === 'string')) {
      return fail(400, 'static_values must be an object of strings');
    }
    if (sub.data.length === 0) return fail(400, 'actual_image is empty');
    const job = store.create({
      files: [{ data: sub.data, filename: sub.filename, mimeType: sub.mimeType }],
      // No idempotency in this API: the key is only recorded.
      idempotencyKey: header(req.headers, 'idempotency-key'),
      params: { template_id: sub.templateId, static_values: staticValues },
    });
    return json(202, { job_id: job.id, template_id: sub.templateId, static_values: staticValues });
  }

  function submit(req: FakeRequest): FakeResponse {
    const sub = readSubmission(req);
    return 'status' in sub ? sub : accept(req, sub);
  }

  /** The binary variant: raw bytes, template in `t_id`, static values as a JSON header. */
  function submitBinary(req: FakeRequest): FakeResponse {
    const type = (header(req.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/octet-stream') return fail(415, 'Content-Type must be application/octet-stream');
    let staticValues: unknown;
    try {
      const raw = header(req.headers, 'static_values');
      staticValues = raw ? JSON.parse(raw) : undefined;
    } catch {
      return fail(400, 'static_values header must be JSON');
    }
    return accept(req, { data: req.body, templateId: req.query.get('t_id') ?? undefined, staticValues });
  }

  function findJob(id: string | null): { job: FakeJob } | { error: FakeResponse } {
    if (!id) return { error: fail(400, 'job_id is required') };
    const job = store.get(id);
    return job ? { job: store.observe(job) } : { error: fail(404, 'Job not found') };
  }

  function jobStatus(req: FakeRequest, params: string[]): FakeResponse {
    // The query form is the SDKs'; the node lib's path form is served too.
    const found = findJob(params[0] ?? req.query.get('job_id'));
    if ('error' in found) return found.error;
    const { job } = found;
    return json(200, { job_id: job.id, template_id: job.params.template_id, status: job.status });
  }

  function jobResults(req: FakeRequest): FakeResponse {
    const body = readJson(req);
    if (!isRecord(body)) return fail(400, 'Expected a JSON object body');
    const format = body.result_format ?? 'json';
    if (format !== 'json' && format !== 'csv') return fail(400, 'result_format must be json or csv');
    const found = findJob(typeof body.job_id === 'string' ? body.job_id : null);
    if ('error' in found) return found.error;
    const { job } = found;
    // assumed: results before completion are a 400 ("not ready"); a failed job answers 400 with its code
    if (!job.terminal) return fail(400, `Job is not finished (status ${job.status})`);
    if (job.outcome.kind === 'failed') return json(400, { error: job.outcome.code, message: job.outcome.message });
    const text = job.outcome.pages.join('\n\n');
    const base = { job_id: job.id, template_id: job.params.template_id, static_values: job.params.static_values, status: job.status };
    // assumed: the SDKs parse every answer as JSON, so CSV comes wrapped in a JSON field
    if (format === 'csv') return json(200, { ...base, result_format: 'csv', result: `text\r\n"${text.replace(/"/g, '""')}"\r\n` });
    return json(200, { ...base, result_format: 'json', result: { text } });
  }

  return {
    authenticate(req, apiKey) {
      const key = header(req.headers, 'x-auth');
      return key !== undefined && key === apiKey ? null : fail(401, key ? 'Invalid API key' : 'Missing x-auth header');
    },
    forbidden: () => fail(403, 'This API key may not use this resource'),
    error: (status, message) => fail(status, message),
    rateLimited: () => fail(429, 'Rate limit exceeded'),
    routes: [
      { method: 'POST', pattern: /^\/process-job$/, handle: submit },
      { method: 'PUT', pattern: /^\/process-job$/, handle: submitBinary },
      { method: 'GET', pattern: /^\/job-status$/, handle: jobStatus },
      { method: 'GET', pattern: /^\/job-status\/([^/]+)$/, handle: jobStatus },
      { method: 'POST', pattern: /^\/job-results$/, handle: jobResults },
    ],
  };
}
