/** OCRQueen's API (docs/providers/ocrqueen.md): multipart submit, Bearer key, Idempotency-Key honoured, text in `markdown`. */
import { ErrorCodes } from '../../errors.js';
import { jsonObject, parseErrorBody, pickString, pickValue, type JobState, type ProviderAdapter } from '../common/adapter.js';
import { multipartBody } from '../../http/body.js';
import { ProviderRequestError } from '../../http/client.js';
import { CANCELLED_MESSAGE, OCRQUEEN_JOB_FAILED } from './webhook.js';

const JOB_OPTIONS: Record<string, 'bool' | 'int' | 'string'> = {
  retain_hours: 'int',
  result_retain_hours: 'int',
  bypass_cache: 'bool',
  include_layout: 'bool',
  preserve_images: 'bool',
  storage_destination_id: 'string',
  // The 0.6 API rejects extraction_profile; it is sent only when the user asks for it.
  extraction_profile: 'string',
};

export const ocrqueen: ProviderAdapter = {
  name: 'ocrqueen',
  defaultBaseUrl: 'https://api.ocrqueen.com',
  idempotent: true,
  accepts: new Set(['pdf', 'png', 'jpeg', 'webp']),
  options: {
    retain_hours: { help: 'hours OCRQueen keeps the source file (0-168)' },
    result_retain_hours: { help: 'hours OCRQueen keeps the result (0-168)' },
    bypass_cache: { help: 'true to ignore OCRQueen\'s content cache' },
    include_layout: { help: 'true to include layout blocks' },
    preserve_images: { help: 'false to drop image blocks' },
    storage_destination_id: { help: 'storage destination configured in the dashboard' },
    extraction_profile: { help: 'standard|advanced (older API versions only; alias: profile)' },
    profile: { help: 'alias of extraction_profile' },
  },
  authHeader: (key) => ({ header: 'Authorization', value: `Bearer ${key}` }),
  parseError: (_status, body) => parseErrorBody(body),

  async submit(input, http, signal) {
    const options: Record<string, unknown> = {};
    for (const [k, raw] of Object.entries(input.options)) {
      const key = k === 'profile' ? 'extraction_profile' : k;
      const kind = JOB_OPTIONS[key];
      if (kind) options[key] = kind === 'bool' ? raw === 'true' : kind === 'int' ? Number(raw) : raw;
    }
    if (input.callbackUrl) options.callback_url = input.callbackUrl;
    const parts: Parameters<typeof multipartBody>[0] = [{ name: 'file', filename: input.fileName, contentType: input.mime, data: input.data }];
    if (Object.keys(options).length > 0) parts.push({ name: 'options', value: JSON.stringify(options) });
    const res = await http.send({ method: 'POST', path: '/v1/extract', body: multipartBody(parts), idempotencyKey: input.idempotencyKey, purpose: 'submit' }, signal);
    const body = jsonObject(res, 'ocrqueen', 'submit');
    const jobId = pickString(body, 'job_id', 'id');
    if (!jobId) throw new ProviderRequestError(res.status, 'BAD_RESPONSE', 'ocrqueen submit: the response has no job_id');
    // 200 means the job finished inline (sync, or a cache hit); 202 carries a suggested first poll delay.
    const state = res.status === 200 ? jobState(body) : undefined;
    const retryAfter = Number(res.headers['retry-after']);
    return { jobId, state: state ?? { state: 'pending', providerStatus: String(body.status ?? 'queued'), retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined } };
  },

  async poll(jobId, http, signal) {
    const res = await http.send({ method: 'GET', path: `/v1/jobs/${encodeURIComponent(jobId)}`, purpose: 'poll' }, signal);
    return jobState(jsonObject(res, 'ocrqueen', 'poll'));
  },
};

function jobState(job: Record<string, unknown>): JobState {
  const status = String(job.status ?? '');
  switch (status) {
    case 'completed': {
      const pages = pickValue(job, 'document.source.page_count');
      return {
        state: 'completed',
        providerStatus: status,
        text: typeof job.markdown === 'string' ? job.markdown : pickString(job, 'document.markdown'),
        pages: typeof pages === 'number' ? pages : undefined,
        result: job.document ?? null,
      };
    }
    case 'failed':
      return {
        state: 'failed',
        providerStatus: status,
        error: { code: pickString(job, 'error.code', 'error_code') ?? OCRQUEEN_JOB_FAILED, message: pickString(job, 'error.message', 'error_message') ?? 'extraction failed' },
      };
    case 'cancelled':
      return { state: 'failed', providerStatus: status, error: { code: ErrorCodes.JOB_CANCELLED, message: CANCELLED_MESSAGE } };
    default:
      return { state: 'pending', providerStatus: status || 'unknown' };
  }
}
