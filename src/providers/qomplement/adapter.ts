/**
 * qomplement's API (docs/providers/qomplement.md): multipart submit, Bearer `sd_…` key, no idempotency. One file per
 * request: a small file without `webhook_url` is answered 200 with the finished job, anything else 202 with a job
 * to poll at `GET /jobs/{id}`. The result holds extracted fields; only the XL model adds text (`markdown`).
 */
import { UsageError } from '../../errors.js';
import { jsonObject, parseErrorBody, pickString, pickValue, type JobState, type ProviderAdapter } from '../common/adapter.js';
import { multipartBody, type FormPart } from '../../http/body.js';
import { ProviderRequestError } from '../../http/client.js';
import { QOMPLEMENT_JOB_FAILED } from './webhook.js';

/** Form fields passed through as given, in this order. */
const FORM_OPTIONS = ['model', 'schema', 'output_format', 'detail', 'chunk_size', 'chunk_overlap'] as const;
const OUTPUT_FORMATS = ['json', 'csv', 'xml'];
const SCHEMA_TYPES = ['string', 'number', 'date', 'identifier'];

export const qomplement: ProviderAdapter = {
  name: 'qomplement',
  idempotent: false,
  defaultBaseUrl: 'https://developer-api.qomplement.com/v1',
  accepts: new Set(['pdf', 'png', 'jpeg', 'bmp', 'tiff']),
  options: {
    model: { help: 'qomplement-OCR-v1 (the provider default) or qomplement-OCR-XL-v1 (high precision; adds markdown, recorded as the text)' },
    schema: { help: 'fields to extract, a JSON array: [{"name":"total","type":"number"}] (types string|number|date|identifier)' },
    output_format: { help: 'json|csv|xml; json by default because the shape of csv and xml results is not documented', default: 'json' },
    detail: { help: 'true to add entities and summaries to the result' },
    chunk_size: { help: 'return overlapping OCR-text chunks of this many characters' },
    chunk_overlap: { help: 'characters shared by consecutive chunks (provider default 0)' },
    file_field: { help: 'name of the multipart file part: file (the docs) or files (the OpenAPI); the API takes both', default: 'file' },
  },
  authHeader: (key) => ({ header: 'Authorization', value: `Bearer ${key}` }),
  parseError: (_status, body) => parseErrorBody(body),

  checkOptions(options) {
    formFields(options);
  },

  async submit(input, http, signal) {
    const fields = formFields(input.options);
    const parts: FormPart[] = [
      { name: input.options.file_field || 'file', filename: input.fileName, contentType: input.mime, data: input.data },
      ...fields,
    ];
    // A webhook_url always makes the job asynchronous (202), so the result can arrive by callback.
    if (input.callbackUrl) parts.push({ name: 'webhook_url', value: input.callbackUrl });
    // qomplement has no idempotency key; it is sent anyway, harmlessly, so every provider's submit looks alike.
    const res = await http.send({ method: 'POST', path: '/extract', body: multipartBody(parts), idempotencyKey: input.idempotencyKey, purpose: 'submit' }, signal);
    const body = jsonObject(res, 'qomplement', 'submit');
    const jobId = pickString(body, 'id', 'job_id');
    if (!jobId) throw new ProviderRequestError(res.status, 'BAD_RESPONSE', 'qomplement submit: the response has no job id (id or job_id)');
    // 200 is the finished job (one file of at most 5 pages, no webhook_url); 202 a job to poll for its result.
    if (res.status === 200) return { jobId, state: jobState(body) };
    return { jobId, state: { state: 'pending', providerStatus: pickString(body, 'status') ?? 'pending' } };
  },

  async poll(jobId, http, signal) {
    const res = await http.send({ method: 'GET', path: `/jobs/${encodeURIComponent(jobId)}`, purpose: 'poll' }, signal);
    return jobState(jsonObject(res, 'qomplement', 'poll'));
  },
};

/** The optional form fields, checked here so a typo stops the run before anything is sent. */
function formFields(options: Record<string, string>): FormPart[] {
  const format = options.output_format;
  if (format !== undefined && !OUTPUT_FORMATS.includes(format)) {
    throw new UsageError(`qomplement option output_format must be one of ${OUTPUT_FORMATS.join(', ')}, not "${format}"`);
  }
  if (options.schema !== undefined) checkSchema(options.schema);
  for (const name of ['chunk_size', 'chunk_overlap'] as const) {
    const v = options[name];
    if (v !== undefined && !/^\d+$/.test(v)) throw new UsageError(`qomplement option ${name} must be a whole number, not "${v}"`);
  }
  if (options.detail !== undefined && !/^(true|false)$/.test(options.detail)) {
    throw new UsageError(`qomplement option detail must be true or false, not "${options.detail}"`);
  }
  return FORM_OPTIONS.filter((name) => options[name] !== undefined).map((name) => ({ name, value: options[name] }));
}

function checkSchema(text: string): void {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw new UsageError('qomplement option schema is not valid JSON', 'example: --option schema=\'[{"name":"total","type":"number"}]\'');
  }
  const ok =
    Array.isArray(schema) &&
    schema.every((f: unknown) => {
      const field = f as { name?: unknown; type?: unknown } | null;
      return typeof field?.name === 'string' && field.name !== '' && SCHEMA_TYPES.includes(field.type as string);
    });
  if (!ok) throw new UsageError(`qomplement option schema must be a JSON array of {"name", "type": ${SCHEMA_TYPES.join('|')}}`);
}

/** A job object (poll) or a submit answer: `pending`, `processing` → `completed` | `failed`. */
function jobState(job: Record<string, unknown>): JobState {
  const providerStatus = typeof job.status === 'string' && job.status !== '' ? job.status : 'pending';
  switch (providerStatus.toLowerCase()) {
    case 'completed': {
      const result = job.result ?? null;
      const markdown = pickValue(result, 'markdown');
      const pages = pickValue(result, 'pages_processed');
      return {
        state: 'completed',
        providerStatus,
        text: typeof markdown === 'string' ? markdown : undefined,
        pages: typeof pages === 'number' && Number.isInteger(pages) && pages > 0 ? pages : undefined,
        result,
      };
    }
    case 'failed':
      return {
        state: 'failed',
        providerStatus,
        error: {
          code: pickString(job, 'error.code') ?? QOMPLEMENT_JOB_FAILED,
          message: pickString(job, 'error.message', 'detail') ?? 'extraction failed',
        },
      };
    default:
      return { state: 'pending', providerStatus };
  }
}
