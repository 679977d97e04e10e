/**
 * DocExtract by Adteco (docs/providers/docextract.md): Bearer `sk_…` key; the document goes base64 inside a JSON
 * body against a saved extractor, and the document-job object is polled until `completed` (fields in
 * `extracted_data`, no text) or `failed` (`error_details.code`). The submit path and field names are not published:
 * the contract's assumptions are the defaults and each is an option. No idempotency key, no per-request callback.
 */
import { ErrorCodes, UsageError } from '../../errors.js';
import { badResponse, jsonObject, jsonObjectOption, parseErrorBody, pickString, pickValue, type JobState, type ProviderAdapter } from '../common/adapter.js';
import { jsonBase64Body } from '../../http/body.js';
import { ProviderRequestError, type ParsedError } from '../../http/client.js';
import { DOCEXTRACT_JOB_FAILED } from './webhook.js';

/** The contract's assumed cap on one document (the API publishes none); base64 makes the body a third larger. */
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;
/** Assumed (unpublished): the single-job path. `poll` sees no options, so this one is not configurable. */
export const JOB_PATH = '/documents/';

const FIELD_OPTIONS = ['extractor_field', 'document_field', 'mime_type_field', 'filename_field', 'metadata_field'] as const;
type FieldOption = (typeof FIELD_OPTIONS)[number];
const DEFAULTS: Record<FieldOption | 'submit_path' | 'max_file_bytes', string> = {
  submit_path: '/documents',
  extractor_field: 'extractor_id',
  document_field: 'document',
  mime_type_field: 'mime_type',
  filename_field: 'filename',
  metadata_field: 'metadata',
  max_file_bytes: String(DEFAULT_MAX_FILE_BYTES),
};

export const docextract: ProviderAdapter = {
  name: 'docextract',
  idempotent: false,
  defaultBaseUrl: 'https://api.adteco.com/v1',
  // PDF is confirmed; PNG, JPEG and TIFF are the contract's assumption.
  accepts: new Set(['pdf', 'png', 'jpeg', 'tiff']),
  options: {
    extractor_id: { required: true, help: 'the extractor (ext_…) whose fields are extracted from every document' },
    metadata: { help: 'JSON object stored with each job and echoed in its webhooks, e.g. {"batch":"2024-06"}' },
    submit_path: { default: DEFAULTS.submit_path, help: 'create path under the base URL (unpublished; assumed POST /documents)' },
    extractor_field: { default: DEFAULTS.extractor_field, help: 'JSON field for the extractor id (assumed name)' },
    document_field: { default: DEFAULTS.document_field, help: 'JSON field for the base64 document (assumed name)' },
    mime_type_field: { default: DEFAULTS.mime_type_field, help: 'JSON field for the MIME type (assumed name)' },
    filename_field: { default: DEFAULTS.filename_field, help: 'JSON field for the file name (assumed name); empty to leave it out' },
    metadata_field: { default: DEFAULTS.metadata_field, help: 'JSON field for metadata (assumed name); sent only with --option metadata' },
    max_file_bytes: { default: DEFAULTS.max_file_bytes, help: 'larger documents fail with FILE_TOO_LARGE without a request (assumed cap; 0 = none)' },
  },
  authHeader: (key) => ({ header: 'Authorization', value: `Bearer ${key}` }),
  parseError: (_status, body) => parseDocExtractError(body),

  checkOptions(options) {
    settingsOf(options);
  },

  async submit(input, http, signal) {
    const { o, extractorId, path, names, max } = settingsOf(input.options);
    if (max > 0 && input.data.byteLength > max) {
      // Refused here rather than by the provider: a 27 MB base64 body would be sent only to be turned away.
      throw new ProviderRequestError(413, ErrorCodes.FILE_TOO_LARGE, `docextract: ${input.data.byteLength} bytes is over max_file_bytes=${max}; not sent`);
    }
    const fields: Record<string, unknown> = { [names.extractor_field]: extractorId, [names.mime_type_field]: input.mime };
    if (names.filename_field) fields[names.filename_field] = input.fileName;
    if (o.metadata !== undefined) fields[names.metadata_field] = jsonObjectOption('docextract', 'metadata', o.metadata, '{"batch":"2024-06"}');
    // No idempotency in this API: the key is sent anyway, harmlessly, and ignored.
    const res = await http.send(
      { method: 'POST', path, body: jsonBase64Body(fields, names.document_field, input.data), idempotencyKey: input.idempotencyKey, purpose: 'submit' },
      signal,
    );
    const body = jsonObject(res, 'docextract', 'submit');
    const jobId = pickString(body, 'id', 'job_id', 'data.id');
    if (!jobId) throw badResponse(res, 'docextract', 'submit: the response has no job id (id, job_id or data.id)');
    const state = jobState(jobObject(body));
    // A job already finished in the answer needs no poll; anything else is polled.
    return { jobId, state: state.state === 'pending' ? { state: 'pending', providerStatus: state.providerStatus === 'unknown' ? 'queued' : state.providerStatus } : state };
  },

  async poll(jobId, http, signal) {
    const res = await http.send({ method: 'GET', path: JOB_PATH + encodeURIComponent(jobId), purpose: 'poll' }, signal);
    return jobState(jobObject(jsonObject(res, 'docextract', 'poll')));
  },
};

/** Status words compared case-insensitively; `queued`, `processing` and any unknown word keep the job pending. */

/** The run's options, checked: the same parse serves checkOptions (before anything is sent) and submit. */
function settingsOf(options: Record<string, string>) {
  const o: Record<string, string> = { ...DEFAULTS, ...options };
  const extractorId = o.extractor_id;
  if (!extractorId) throw new UsageError('docextract needs --option extractor_id=…', docextract.options.extractor_id.help);
  if (o.metadata !== undefined) jsonObjectOption('docextract', 'metadata', o.metadata, '{"batch":"2024-06"}');
  return { o, extractorId, path: submitPath(o.submit_path), names: fieldNames(o), max: nonNegativeInteger('max_file_bytes', o.max_file_bytes) };
}
function jobState(job: Record<string, unknown>): JobState {
  const providerStatus = pickString(job, 'status') ?? 'unknown';
  switch (providerStatus.trim().toLowerCase()) {
    case 'completed':
      // Fields only: the row keeps the whole job object (extracted_data, confidence, cost...) and no text.
      return { state: 'completed', providerStatus, result: job };
    case 'failed': {
      const message = pickString(job, 'error_details.message') ?? 'the job failed';
      const suggestion = pickString(job, 'error_details.suggestion');
      return {
        state: 'failed',
        providerStatus,
        error: { code: pickString(job, 'error_details.code') ?? DOCEXTRACT_JOB_FAILED, message: suggestion ? `${message} (${suggestion})` : message },
      };
    }
    default:
      return { state: 'pending', providerStatus };
  }
}

/** The job object itself, or inside a `data` envelope (tolerated: the single-job answer is not published). */
function jobObject(body: Record<string, unknown>): Record<string, unknown> {
  const data = body.data;
  return body.status === undefined && typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : body;
}

function submitPath(path: string): string {
  // An absolute URL here would carry the key to another host.
  if (!/^\/(?!\/)[^\s?#]*$/.test(path)) throw new UsageError(`docextract option submit_path must be a path under the base URL, like /documents (got "${path}")`);
  return path;
}

function fieldNames(o: Record<string, string>): Record<FieldOption, string> {
  const names = Object.fromEntries(FIELD_OPTIONS.map((k) => [k, o[k].trim()])) as Record<FieldOption, string>;
  const seen = new Set<string>();
  for (const k of FIELD_OPTIONS) {
    const name = names[k];
    if (!name) {
      if (k === 'filename_field' || (k === 'metadata_field' && o.metadata === undefined)) continue;
      throw new UsageError(`docextract option ${k} must not be empty`);
    }
    if (seen.has(name)) throw new UsageError(`docextract field name "${name}" is used twice (check the *_field options)`);
    seen.add(name);
  }
  return names;
}

function nonNegativeInteger(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`docextract option ${name} must be a whole number of bytes (got "${text}")`);
  return n;
}

/** `{error: {code, message, suggestion}}`: the suggestion is the fix, so it stays in the message. */
function parseDocExtractError(body: Buffer): ParsedError {
  const parsed = parseErrorBody(body);
  let suggestion: string | undefined;
  try {
    suggestion = pickString(pickValue(JSON.parse(body.toString('utf8')), 'error'), 'suggestion');
  } catch {
    suggestion = undefined;
  }
  return suggestion ? { ...parsed, message: parsed.message ? `${parsed.message} (${suggestion})` : suggestion } : parsed;
}
