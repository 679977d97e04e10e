/**
 * LeapOCR's API (docs/providers/leapocr.md): raw key in `X-API-KEY`; a local file goes up in 3 steps (initiate →
 * PUT each part to its presigned storage URL → complete with the parts' ETags); the status is polled at
 * `/ocr/status/{id}` and the pages are read from the paginated `/ocr/result/{id}`. The API has no idempotency key,
 * no per-request callback and no failure codes: a failed job is `LEAPOCR_JOB_FAILED` with its `error_message`.
 */
import { UsageError } from '../../errors.js';
import { badResponse, jsonObject, jsonObjectOption, parseErrorBody, pickString, pickValue, type JobState, type ProviderAdapter, type SubmitInput } from '../common/adapter.js';
import { jsonBody, rawBody } from '../../http/body.js';
import { ProviderRequestError, type HttpResponse, type ParsedError, type ProviderHttp } from '../../http/client.js';
import { LEAPOCR_JOB_FAILED, NO_REASON } from './webhook.js';

/** Pages asked for per `/ocr/result` request (the SDK's default; the API allows 1–1000). */
export const RESULT_PAGE_LIMIT = 100;
/** A result that needs more requests than this is not read: the pagination is not advancing sanely. */
export const MAX_RESULT_REQUESTS = 1000;
export const MAX_FILE_NAME_LENGTH = 255;
export const MAX_INSTRUCTIONS_LENGTH = 100;
const DEFAULT_MODEL = 'standard-v2';
const DEFAULT_FORMAT = 'markdown';

export const leapocr: ProviderAdapter = {
  name: 'leapocr',
  idempotent: false,
  defaultBaseUrl: 'https://api.leapocr.com/api/v1',
  // The SDKs' list; the FAQ says PDF only, the API does not publish its own.
  accepts: new Set(['pdf', 'png', 'jpeg', 'tiff', 'webp']),
  options: {
    model: { default: DEFAULT_MODEL, help: 'standard-v2 (1 credit/page) or pro-v2 (3 credits/page); not sent with template_slug' },
    format: { default: DEFAULT_FORMAT, help: 'markdown (page texts become the row text) or structured (needs schema; fields kept in result, no text); not sent with template_slug' },
    schema: { help: 'JSON object describing the fields to extract; needs format=structured' },
    instructions: { help: `extraction hints, at most ${MAX_INSTRUCTIONS_LENGTH} characters; needs format=structured` },
    template_slug: { help: 'a saved LeapOCR template; replaces format and model (which are then not sent), schema and instructions' },
    extract_bounding_boxes: { help: 'true|false: ask for bounding boxes (sent only when given)' },
  },
  authHeader: (key) => ({ header: 'X-API-KEY', value: key }),
  parseError: (_status, body) => parseLeapOcrError(body),

  checkOptions(options) {
    uploadFields(options);
  },

  async submit(input, http, signal) {
    const fields = uploadFields(input.options);
    const size = input.data.byteLength;
    // The API has no idempotency: the key is sent anyway, harmlessly, and ignored.
    const initiated = await http.send(
      {
        method: 'POST',
        path: '/ocr/uploads/direct',
        body: jsonBody({ file_name: fileNameFor(input), file_size: size, content_type: input.mime, ...fields }),
        idempotencyKey: input.idempotencyKey,
        purpose: 'submit',
      },
      signal,
    );
    const upload = jsonObject(initiated, 'leapocr', 'submit');
    const jobId = pickString(upload, 'job_id');
    if (!jobId) throw badResponse(initiated, 'leapocr', 'submit: the response has no job_id');
    const etags: Array<{ part_number: number; etag: string }> = [];
    for (const part of uploadParts(upload, size, initiated)) {
      // Presigned storage: no API key, not drawn from the rate budget; the slice is a view, not a copy.
      const res = await http.send(
        { method: 'PUT', path: part.url, api: false, body: rawBody(input.data.subarray(part.start, part.end)), purpose: `upload of part ${part.number}` },
        signal,
      );
      const etag = (res.headers.etag ?? '').replace(/"/g, '').trim();
      if (!etag) throw badResponse(res, 'leapocr', `upload of part ${part.number}: the storage answer has no ETag`);
      etags.push({ part_number: part.number, etag });
    }
    const completed = await http.send(
      { method: 'POST', path: `/ocr/uploads/${encodeURIComponent(jobId)}/complete`, body: jsonBody({ parts: etags }), idempotencyKey: input.idempotencyKey, purpose: 'submit' },
      signal,
    );
    return { jobId, state: { state: 'pending', providerStatus: pickString(jsonObject(completed, 'leapocr', 'submit'), 'status') ?? 'pending' } };
  },

  async poll(jobId, http, signal) {
    const res = await http.send({ method: 'GET', path: `/ocr/status/${encodeURIComponent(jobId)}`, purpose: 'poll' }, signal);
    const status = jsonObject(res, 'leapocr', 'poll');
    const providerStatus = pickString(status, 'status') ?? 'unknown';
    switch (normalize(providerStatus)) {
      case 'failed':
        return failedState(providerStatus, status);
      case 'completed':
      case 'partially_done':
        return readResult(jobId, providerStatus, status, http, signal);
      default:
        return { state: 'pending', providerStatus };
    }
  },
};

function uploadFields(o: Record<string, string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  // template_slug excludes format and model; both have CLI defaults, so they give way to it.
  if (o.template_slug !== undefined) fields.template_slug = o.template_slug;
  else {
    fields.format = o.format ?? DEFAULT_FORMAT;
    fields.model = o.model ?? DEFAULT_MODEL;
  }
  if (o.schema !== undefined) fields.schema = jsonObjectOption('leapocr', 'schema', o.schema, '{"type":"object","properties":{"total":{"type":"number"}}}');
  if (o.instructions !== undefined) {
    if (o.instructions.length > MAX_INSTRUCTIONS_LENGTH) throw new UsageError(`leapocr option instructions is longer than ${MAX_INSTRUCTIONS_LENGTH} characters`);
    fields.instructions = o.instructions;
  }
  if (o.extract_bounding_boxes !== undefined) {
    if (o.extract_bounding_boxes !== 'true' && o.extract_bounding_boxes !== 'false') throw new UsageError('leapocr option extract_bounding_boxes must be true or false');
    fields.extract_bounding_boxes = o.extract_bounding_boxes === 'true';
  }
  return fields;
}

/** The API takes 1–255 characters; a longer name is shortened, keeping its extension. */
function fileNameFor(input: SubmitInput): string {
  const name = input.fileName;
  if (name.length <= MAX_FILE_NAME_LENGTH) return name;
  const ext = /\.[A-Za-z0-9]{1,5}$/.exec(name)?.[0] ?? '';
  return name.slice(0, MAX_FILE_NAME_LENGTH - ext.length) + ext;
}

interface UploadPart {
  number: number;
  url: string;
  /** Byte range [start, end). */
  start: number;
  end: number;
}

/**
 * The parts as the API gives them, following their inclusive `start_byte`/`end_byte` (the PHP and Python SDKs do);
 * without any ranges, the JS SDK's equal slices. The ranges must tile the file exactly, or nothing is uploaded.
 */
function uploadParts(upload: Record<string, unknown>, size: number, res: HttpResponse): UploadPart[] {
  const listed = Array.isArray(upload.parts) ? (upload.parts as unknown[]) : [];
  if (listed.length === 0 || listed.length > size) throw badResponse(res, 'leapocr', `submit: the upload has ${listed.length} parts for ${size} bytes`);
  const hasRanges = listed.some((p) => pickValue(p, 'start_byte') !== undefined || pickValue(p, 'end_byte') !== undefined);
  const chunk = Math.ceil(size / listed.length);
  const parts = listed.map((p, i): UploadPart => {
    const number = pickValue(p, 'part_number') ?? i + 1;
    const start = hasRanges ? pickValue(p, 'start_byte') : i * chunk;
    const end = hasRanges ? Number(pickValue(p, 'end_byte')) + 1 : Math.min(size, (i + 1) * chunk);
    if (!Number.isSafeInteger(number) || (number as number) < 1 || !Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
      throw badResponse(res, 'leapocr', `submit: upload part ${i + 1} has no valid part_number or byte range`);
    }
    return { number: number as number, url: storageUrl(pickValue(p, 'upload_url'), res), start: start as number, end };
  });
  parts.sort((a, b) => a.start - b.start);
  let next = 0;
  for (const part of parts) {
    if (part.start !== next || part.end <= part.start || part.end > size) throw badResponse(res, 'leapocr', `submit: upload part ${part.number} covers bytes ${part.start}-${part.end - 1}, expected to start at ${next} of ${size}`);
    next = part.end;
  }
  if (next !== size) throw badResponse(res, 'leapocr', `submit: the upload parts cover ${next} of ${size} bytes`);
  return parts;
}

/** Only absolute URLs (anything else would be resolved against the API base); where they may lead, the client checks. */
function storageUrl(value: unknown, res: HttpResponse): string {
  try {
    return new URL(String(value)).href;
  } catch {
    throw badResponse(res, 'leapocr', 'submit: an upload part has no absolute upload_url');
  }
}

/**
 * All result pages, `page` by `page` until `pagination.page` reaches `pagination.total_pages` (the SDK's own
 * `current_page` is tolerated). A 202, or an answer without `pages`, means the status is ahead of the result.
 */
async function readResult(jobId: string, providerStatus: string, status: Record<string, unknown>, http: ProviderHttp, signal: AbortSignal): Promise<JobState> {
  const pages: unknown[] = [];
  let first: Record<string, unknown> | undefined;
  for (let page = 1; ; page++) {
    if (page > MAX_RESULT_REQUESTS) throw new ProviderRequestError(null, 'BAD_RESPONSE', `leapocr result: more than ${MAX_RESULT_REQUESTS} result pages; not read`);
    const res = await http.send({ method: 'GET', path: `/ocr/result/${encodeURIComponent(jobId)}`, query: { page, limit: RESULT_PAGE_LIMIT }, purpose: 'result' }, signal);
    const body = jsonObject(res, 'leapocr', 'result');
    if (res.status === 202 || !Array.isArray(body.pages)) {
      return normalize(pickString(body, 'status') ?? '') === 'failed' ? failedState(providerStatus, body) : { state: 'pending', providerStatus };
    }
    first ??= body;
    pages.push(...(body.pages as unknown[]));
    const current = pickValue(body, 'pagination.page') ?? pickValue(body, 'pagination.current_page');
    const total = pickValue(body, 'pagination.total_pages');
    if (typeof current !== 'number' || typeof total !== 'number' || current >= total) break;
    if (current !== page) throw badResponse(res, 'leapocr', `result: asked for page ${page}, got page ${current}`);
  }
  return completedState(providerStatus, first, pages, status);
}

/** The provider's own result object; when it came in several slices, all their pages in one list. */
function completedState(providerStatus: string, first: Record<string, unknown>, pages: unknown[], status: Record<string, unknown>): JobState {
  const result: Record<string, unknown> = { ...first, pages };
  if (pages.length !== (first.pages as unknown[]).length) delete result.pagination;
  const texts = pages.map((p) => pickValue(p, 'result'));
  // partially_done is terminal: the pages that were done count, the rest never come.
  const field = normalize(providerStatus) === 'partially_done' ? 'processed_pages' : 'total_pages';
  const count = pickValue(first, field) ?? pickValue(status, field);
  return {
    state: 'completed',
    providerStatus,
    text: texts.length > 0 && texts.every((t) => typeof t === 'string') ? (texts as string[]).join('\n\n') : undefined,
    pages: typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : pages.length || undefined,
    result,
  };
}

function failedState(providerStatus: string, body: Record<string, unknown>): JobState {
  const message = pickString(body, 'error_message', 'error.message', 'error') ?? NO_REASON;
  return { state: 'failed', providerStatus, error: { code: LEAPOCR_JOB_FAILED, message } };
}

/** Status words compared lower-case, `partially done` / `partially-done` as `partially_done`. */
function normalize(word: string): string {
  return word.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** API errors are `{code, error: {message}}`; presigned storage answers S3-style XML. */
function parseLeapOcrError(body: Buffer): ParsedError {
  const text = body.toString('utf8');
  if (text.trimStart().startsWith('<')) {
    const tag = (name: string) => new RegExp(`<${name}>([^<]{1,300})</${name}>`).exec(text)?.[1];
    return { code: tag('Code'), message: tag('Message') };
  }
  return parseErrorBody(body);
}
