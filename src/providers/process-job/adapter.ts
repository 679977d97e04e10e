/**
 * process-job, DocuProx's API (docs/providers/process-job.md): the document is extracted against a saved template
 * (`template_id`), raw key in `x-auth`, no idempotency. Submit answers 202 `{job_id}`; the status is polled at
 * `/job-status` (upper-case words with spaces) and the result fetched with `POST /job-results`. The result is the
 * template's field map, not text.
 */
import { UsageError } from '../../errors.js';
import { jsonObject, parseErrorBody, pickString, type JobState, type ProviderAdapter } from '../common/adapter.js';
import { jsonBase64Body, jsonBody, multipartBody, rawBody, type FormPart } from '../../http/body.js';
import { ProviderRequestError, type HttpResponse, type ParsedError, type ProviderHttp } from '../../http/client.js';
import { PROCESS_JOB_FAILED } from './webhook.js';

const UPLOADS = ['multipart', 'json', 'binary'];
const STATUS_FORMS = ['query', 'path'];
const RESULT_FORMATS = ['json', 'csv'];
/** An `error` that reads like a machine code (DOCUMENT_LOCKED), not an HTTP reason phrase (Bad Request). */
const CODE_LIKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/** What `poll` needs from the options; `submit` is the only call that sees them (see pollConfigs). */
interface PollConfig {
  statusForm: string;
  resultFormat: string;
  success: Set<string>;
  failure: Set<string>;
  tryResults: Set<string>;
}

const DEFAULTS = {
  upload: 'multipart',
  status_endpoint: 'query',
  result_format: 'json',
  success_statuses: 'SUCCESS,COMPLETED',
  failure_statuses: 'FAILED,ERROR,PROCESS IMAGE FAILED,UNZIP FILE FAILED',
  result_ready_statuses: 'PROCESS IMAGE SUCCESS',
};

export const processJob: ProviderAdapter = {
  name: 'process-job',
  idempotent: false,
  defaultBaseUrl: 'https://api.docuprox.com/v1',
  accepts: new Set(['pdf', 'png', 'jpeg', 'tiff', 'bmp', 'gif']),
  options: {
    template_id: { required: true, help: 'the DocuProx template (UUID) every document is extracted against' },
    static_values: { help: 'JSON object of strings filling the template\'s STATIC fields, e.g. {"batch":"2024-06"}; echoed in results' },
    upload: { default: DEFAULTS.upload, help: 'how the document is sent: multipart (actual_image file part), json (base64 in actual_image) or binary (PUT /process-job?t_id=, raw bytes)' },
    status_endpoint: { default: DEFAULTS.status_endpoint, help: 'status URL form: query (GET /job-status?job_id=ID, the SDKs) or path (GET /job-status/ID, the node lib)' },
    result_format: { default: DEFAULTS.result_format, help: 'json or csv, as asked of /job-results; csv comes back as a string inside the JSON answer' },
    success_statuses: { default: DEFAULTS.success_statuses, help: 'comma-separated job statuses that mean done (case-insensitive)' },
    failure_statuses: { default: DEFAULTS.failure_statuses, help: 'comma-separated job statuses that mean failed (case-insensitive)' },
    result_ready_statuses: { default: DEFAULTS.result_ready_statuses, help: 'comma-separated statuses at which /job-results is tried early; a 4xx there means not ready yet' },
  },
  authHeader: (key) => ({ header: 'x-auth', value: key }),
  parseError: (_status, body) => parseProcessJobError(body),

  checkOptions(options) {
    pollConfigOf(options);
    submitSettingsOf(options);
  },

  async submit(input, http, signal) {
    const { templateId, staticValues, upload } = submitSettingsOf(input.options);
    // No idempotency in this API: the key is sent anyway, harmlessly, and ignored.
    const common = { idempotencyKey: input.idempotencyKey, purpose: 'submit' };
    let res: HttpResponse;
    if (upload === 'binary') {
      const headers: Record<string, string> = staticValues ? { static_values: asciiJson(staticValues) } : {};
      res = await http.send({ ...common, method: 'PUT', path: '/process-job', query: { t_id: templateId }, headers, body: rawBody(input.data) }, signal);
    } else if (upload === 'json') {
      const fields = { template_id: templateId, ...(staticValues && { static_values: staticValues }) };
      res = await http.send({ ...common, method: 'POST', path: '/process-job', body: jsonBase64Body(fields, 'actual_image', input.data) }, signal);
    } else {
      const parts: FormPart[] = [{ name: 'template_id', value: templateId }];
      if (staticValues) parts.push({ name: 'static_values', value: JSON.stringify(staticValues) });
      parts.push({ name: 'actual_image', filename: input.fileName, contentType: input.mime, data: input.data });
      res = await http.send({ ...common, method: 'POST', path: '/process-job', body: multipartBody(parts) }, signal);
    }
    const body = jsonObject(res, 'process-job', 'submit');
    const jobId = pickString(body, 'job_id', 'id');
    if (!jobId) throw new ProviderRequestError(res.status, 'BAD_RESPONSE', 'process-job submit: the response has no job_id');
    return { jobId, state: { state: 'pending', providerStatus: pickString(body, 'status') ?? 'NEW' } };
  },

  async poll(jobId, http, signal, options) {
    const config = pollConfigOf(options);
    const res =
      config.statusForm === 'path'
        ? await http.send({ method: 'GET', path: `/job-status/${encodeURIComponent(jobId)}`, purpose: 'poll' }, signal)
        : await http.send({ method: 'GET', path: '/job-status', query: { job_id: jobId }, purpose: 'poll' }, signal);
    const providerStatus = pickString(jsonObject(res, 'process-job', 'poll'), 'status') ?? 'unknown';
    const word = normalize(providerStatus);
    if (config.success.has(word)) return fetchResult(jobId, providerStatus, config, http, signal);
    if (config.failure.has(word)) return failedState(jobId, providerStatus, config, http, signal);
    if (config.tryResults.has(word)) {
      try {
        return await fetchResult(jobId, providerStatus, config, http, signal);
      } catch (err) {
        // Results asked for before the job is done are refused with a 4xx: not ready yet.
        if (err instanceof ProviderRequestError && err.status !== null && err.status >= 400 && err.status < 500) return { state: 'pending', providerStatus };
        throw err;
      }
    }
    return { state: 'pending', providerStatus };
  },
};

function submitSettingsOf(o: Record<string, string>) {
  const templateId = o.template_id;
  if (!templateId) throw new UsageError('process-job needs --option template_id=…', processJob.options.template_id.help);
  const staticValues = o.static_values === undefined ? undefined : parseStaticValues(o.static_values);
  return { templateId, staticValues, upload: oneOf('upload', o.upload ?? DEFAULTS.upload, UPLOADS) };
}

function pollConfigOf(o: Record<string, string>): PollConfig {
  const words = (name: keyof typeof DEFAULTS) => {
    const set = new Set((o[name] ?? DEFAULTS[name]).split(',').map(normalize).filter(Boolean));
    if (set.size === 0 && name !== 'result_ready_statuses') throw new UsageError(`process-job option ${name} needs at least one status`);
    return set;
  };
  return {
    statusForm: oneOf('status_endpoint', o.status_endpoint ?? DEFAULTS.status_endpoint, STATUS_FORMS),
    resultFormat: oneOf('result_format', o.result_format ?? DEFAULTS.result_format, RESULT_FORMATS),
    success: words('success_statuses'),
    failure: words('failure_statuses'),
    tryResults: words('result_ready_statuses'),
  };
}

async function fetchResult(jobId: string, providerStatus: string, config: PollConfig, http: ProviderHttp, signal: AbortSignal): Promise<JobState> {
  const res = await http.send({ method: 'POST', path: '/job-results', body: jsonBody({ job_id: jobId, result_format: config.resultFormat }), purpose: 'result' }, signal);
  const body = jsonObject(res, 'process-job', 'result');
  return { state: 'completed', providerStatus, result: 'result' in body ? body.result : body };
}

/**
 * DocuProx publishes no error codes; a failed job is `PROCESS_JOB_FAILED` with its status word. `/job-results` is
 * asked once for the reason, and a code-like `error` in its refusal is kept as the code.
 */
async function failedState(jobId: string, providerStatus: string, config: PollConfig, http: ProviderHttp, signal: AbortSignal): Promise<JobState> {
  let reason: ParsedError = {};
  try {
    await fetchResult(jobId, providerStatus, config, http, signal);
  } catch (err) {
    if (!(err instanceof ProviderRequestError)) throw err;
    reason = reasonOf(err);
  }
  const message = `the job ended with status ${providerStatus}${reason.message ? ` (${reason.message})` : ''}`;
  return { state: 'failed', providerStatus, error: { code: reason.code ?? PROCESS_JOB_FAILED, message } };
}

/** The client words a refusal as "… (HTTP 400 <code> <message>)" from parseProcessJobError's answer. */
function reasonOf(err: ProviderRequestError): ParsedError {
  if (err.status === null || err.status < 400 || err.status >= 500) return {};
  return err.provider;
}

/** `{error, message}`: `error` is an HTTP reason phrase, or (on a failed job's results) the failure's code. */
function parseProcessJobError(body: Buffer): ParsedError {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return parseErrorBody(body);
  }
  const o = json as { error?: unknown; message?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.error !== 'string') return parseErrorBody(body);
  const message = typeof o.message === 'string' && o.message !== '' ? o.message : undefined;
  if (CODE_LIKE.test(o.error)) return { code: o.error, message };
  return { message: [o.error, message].filter(Boolean).join(': ') || undefined };
}

function parseStaticValues(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('process-job option static_values is not valid JSON', 'example: --option static_values=\'{"batch":"2024-06"}\'');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new UsageError('process-job option static_values must be a JSON object of strings');
  }
  return value as Record<string, string>;
}

function oneOf(name: string, value: string, allowed: string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`process-job option ${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value;
}

/** Status words compared upper-case with single spaces: `Process_Image  failed` is `PROCESS IMAGE FAILED`. */
function normalize(word: string): string {
  return word.trim().replace(/[\s_]+/g, ' ').toUpperCase();
}

/** JSON safe for a header value: non-ASCII characters escaped. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

