/**
 * What a provider's webhook body says, in ocrq's terms: a job outcome (`job`) or a notice about the account
 * (`event`: `webhook.test`, DocExtract's credit events). Shapes follow each provider's webhook contract; anything
 * that is neither is `null`, which the listener answers 400. Nothing here trusts the body: every field is checked
 * for type, and ids are capped in length.
 */
import { providerFromHeaders } from '../signature/index.js';
import type { ProviderName } from '../config/keys.js';

export type DeliveryHeaders = Record<string, string | string[] | undefined>;

export interface JobDelivery {
  kind: 'job';
  provider: ProviderName;
  jobId: string;
  eventId: string | null;
  status: 'completed' | 'failed' | 'processing';
  text?: string;
  pages?: number;
  result?: unknown;
  error?: { code: string; message: string };
  /** The payload carries no text (LeapOCR): the job is done, but its result must still be fetched. */
  needsResult?: boolean;
}

export interface EventDelivery {
  kind: 'event';
  provider: ProviderName;
  type: string;
  eventId: string | null;
  data: unknown;
}

export type Delivery = JobDelivery | EventDelivery;

/** Longer job or event ids are refused: no provider's id is this long, and a manifest key should stay small. */
export const MAX_ID_LENGTH = 256;

/** Events that say the account is about to stop processing jobs: shown prominently. */
export const LOW_CREDIT_EVENTS: ReadonlySet<string> = new Set(['credits.low_balance', 'credits.depleted']);

const ACCOUNT_EVENTS: ReadonlySet<string> = new Set(['webhook.test', ...LOW_CREDIT_EVENTS]);

// Failure codes for providers whose failed deliveries carry none (the same codes their pollers record).
const LEAPOCR_JOB_FAILED = 'LEAPOCR_JOB_FAILED';
const DOCEXTRACT_JOB_FAILED = 'DOCEXTRACT_JOB_FAILED';
const QOMPLEMENT_JOB_FAILED = 'QOMPLEMENT_JOB_FAILED';
const PROCESS_JOB_FAILED = 'PROCESS_JOB_FAILED';
const OCRQUEEN_JOB_FAILED = 'PROVIDER_FAILED';
const JOB_CANCELLED = 'JOB_CANCELLED';

type Json = Record<string, unknown>;

export function parseDelivery(provider: ProviderName, json: unknown, headers: DeliveryHeaders = {}): Delivery | null {
  if (!isObject(json)) return null;
  switch (provider) {
    case 'ocrqueen':
      return parseOcrqueen(json, headers);
    case 'leapocr':
      return parseLeapocr(json);
    case 'docextract':
      return parseDocextract(json);
    case 'qomplement':
      return parseQomplement(json);
    case 'process-job':
      return parseProcessJob(json);
    default:
      return null;
  }
}

/** The provider a delivery comes from: its signature header first, then the shape of its body. */
export function detectProvider(json: unknown, headers: DeliveryHeaders): ProviderName | null {
  const byHeader = providerFromHeaders(headers);
  if (byHeader) return byHeader;
  if (!isObject(json)) return null;
  const eventType = str(json.event_type);
  if (typeof json.event === 'string' && isObject(json.data) && eventType === undefined) return 'docextract';
  if (eventType !== undefined) {
    if (eventType.startsWith('extraction.') || isObject(json.data)) return 'ocrqueen';
    return 'leapocr';
  }
  if (json.job_id === undefined) return null;
  if (isObject(json.data) && (json.data.status !== undefined || json.data.type !== undefined)) return 'qomplement';
  if ('template_id' in json || 'static_values' in json) return 'process-job';
  if (typeof json.status === 'string') return 'ocrqueen';
  return null;
}

/** Envelope `{event_id, event_type, timestamp, job_id, data: {document | error}}`, or the bare job object. */
function parseOcrqueen(o: Json, headers: DeliveryHeaders): Delivery | null {
  const type = str(o.event_type);
  const eventId = id(o.event_id) ?? id(header(headers, 'ocrqueen-delivery-id'));
  const jobId = id(o.job_id);
  if (type !== undefined && (jobId === null || ACCOUNT_EVENTS.has(type))) return accountEvent('ocrqueen', type, eventId, o.data, 'extraction.');
  if (jobId === null) return null;
  const data = isObject(o.data) ? o.data : {};
  const ids: JobIds = { provider: 'ocrqueen', jobId, eventId };
  if (type === undefined) {
    // The job object as `GET /v1/jobs/{id}` returns it.
    const status = str(o.status)?.toLowerCase();
    if (status === undefined) return null;
    if (status === 'completed') return job(ids, status, ocrqueenDocument(o.document, o.markdown));
    if (status === 'failed') return job(ids, status, { error: errorOf(o.error, o, OCRQUEEN_JOB_FAILED, 'extraction failed') });
    if (status === 'cancelled') return job(ids, 'failed', { error: { code: JOB_CANCELLED, message: 'the job was cancelled at OCRQueen' } });
    return job(ids, 'processing');
  }
  if (type === 'extraction.completed' || (type !== 'extraction.failed' && isObject(data.document))) {
    return job(ids, 'completed', ocrqueenDocument(data.document, o.markdown));
  }
  if (type === 'extraction.failed' || isObject(data.error)) {
    return job(ids, 'failed', { error: errorOf(data.error ?? o.error, o, OCRQUEEN_JOB_FAILED, 'extraction failed') });
  }
  return job(ids, 'processing');
}

function ocrqueenDocument(document: unknown, markdown: unknown): JobFields {
  const doc = isObject(document) ? document : undefined;
  const fields: JobFields = { result: document ?? null };
  const text = str(doc?.markdown) ?? str(markdown);
  if (text !== undefined) fields.text = text;
  const pages = count(pick(doc, 'source', 'page_count')) ?? count(doc?.page_count);
  if (pages !== undefined) fields.pages = pages;
  return fields;
}

/** Flat `{event_type, event_id, job_id, status, error_message, total_pages, …}`; no text in it. */
function parseLeapocr(o: Json): Delivery | null {
  const type = str(o.event_type);
  const eventId = id(o.event_id);
  const jobId = id(o.job_id);
  if (type !== undefined && (jobId === null || ACCOUNT_EVENTS.has(type))) return accountEvent('leapocr', type, eventId, o, 'job.');
  if (jobId === null) return null;
  const status = normalizeWord(str(o.status) ?? type?.replace(/^job\./, '') ?? '');
  const ids: JobIds = { provider: 'leapocr', jobId, eventId };
  if (status === 'completed' || status === 'partially_done') {
    const pages = count(status === 'partially_done' ? o.processed_pages : o.total_pages);
    return job(ids, 'completed', { ...(pages !== undefined ? { pages } : {}), result: o, needsResult: true });
  }
  if (status === 'failed') {
    const message = str(o.error_message) ?? 'the job failed (LeapOCR gives no reason)';
    return job(ids, 'failed', { error: { code: LEAPOCR_JOB_FAILED, message } });
  }
  if (type === undefined && o.status === undefined) return null;
  return job(ids, 'processing');
}

/** `{event, data: {id, status, extracted_data | error_details}}`; credit and test events carry no job. */
function parseDocextract(o: Json): Delivery | null {
  const type = str(o.event);
  if (type === undefined || !isObject(o.data)) return null;
  const data = o.data;
  const jobId = id(data.id);
  if (jobId === null || ACCOUNT_EVENTS.has(type)) return accountEvent('docextract', type, null, data, 'job.');
  const status = normalizeWord(str(data.status) ?? type.replace(/^job\./, ''));
  const ids: JobIds = { provider: 'docextract', jobId, eventId: null };
  // Fields only: the row keeps the whole job object (extracted_data, confidence, cost...) and no text.
  if (status === 'completed') return job(ids, 'completed', { result: data });
  if (status === 'failed') {
    const error = errorOf(data.error_details, {}, DOCEXTRACT_JOB_FAILED, 'the job failed');
    const suggestion = str(pick(data, 'error_details', 'suggestion'));
    return job(ids, 'failed', { error: suggestion ? { ...error, message: `${error.message} (${suggestion})` } : error });
  }
  return job(ids, 'processing');
}

/** `{job_id, data: {id, type, status, result | error}}`. */
function parseQomplement(o: Json): Delivery | null {
  if (!isObject(o.data)) return null;
  const data = o.data;
  const jobId = id(o.job_id) ?? id(data.id);
  const status = str(data.status)?.toLowerCase();
  if (jobId === null || status === undefined) return null;
  const ids: JobIds = { provider: 'qomplement', jobId, eventId: null };
  if (status === 'completed') {
    const result = data.result ?? null;
    const text = str(pick(result, 'markdown'));
    const pages = count(pick(result, 'pages_processed'));
    return job(ids, status, { ...(text !== undefined ? { text } : {}), ...(pages !== undefined ? { pages } : {}), result });
  }
  if (status === 'failed') return job(ids, status, { error: errorOf(data.error, {}, QOMPLEMENT_JOB_FAILED, 'extraction failed') });
  return job(ids, 'processing');
}

/** `{job_id, template_id, static_values, result}`: sent on success only; a failure shape is tolerated if it comes. */
function parseProcessJob(o: Json): Delivery | null {
  const jobId = id(o.job_id);
  if (jobId === null) return null;
  const ids: JobIds = { provider: 'process-job', jobId, eventId: null };
  const status = str(o.status)?.trim().toUpperCase().replace(/[\s_]+/g, ' ');
  if (status !== undefined && /\b(FAILED|ERROR)\b/.test(status)) {
    const message = str(o.message) ?? str(o.error) ?? `the job ended with status ${status}`;
    return job(ids, 'failed', { error: { code: PROCESS_JOB_FAILED, message } });
  }
  if (!('result' in o)) return null;
  return job(ids, 'completed', { result: o.result });
}

type JobIds = Pick<JobDelivery, 'provider' | 'jobId' | 'eventId'>;
type JobFields = Pick<JobDelivery, 'text' | 'pages' | 'result' | 'error' | 'needsResult'>;

/** One literal plus Object.assign: spreading a shared `{kind, provider, jobId, eventId}` cost microseconds a delivery. */
function job(ids: JobIds, status: JobDelivery['status'], fields?: JobFields): JobDelivery {
  const delivery: JobDelivery = { kind: 'job', provider: ids.provider, jobId: ids.jobId, eventId: ids.eventId, status };
  return fields ? Object.assign(delivery, fields) : delivery;
}

/**
 * A payload with an event type but no job: an account event. A job event type (`extraction.*`, `job.*`) without
 * its job id is malformed instead (null). Unknown account events are still events: answering them 4xx would only
 * make the provider retry, and LeapOCR disables an endpoint after five failed deliveries.
 */
function accountEvent(provider: ProviderName, type: string, eventId: string | null, data: unknown, jobPrefix: string): Delivery | null {
  if (type.startsWith(jobPrefix) && !ACCOUNT_EVENTS.has(type)) return null;
  if (type.length > MAX_ID_LENGTH) return null;
  return { kind: 'event', provider, type, eventId, data: data ?? null };
}

function errorOf(error: unknown, flat: Json, fallbackCode: string, fallbackMessage: string): { code: string; message: string } {
  const e = isObject(error) ? error : {};
  const code = str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined) ?? str(flat.error_code);
  const message = str(e.message) ?? (typeof error === 'string' ? error : undefined) ?? str(flat.error_message);
  return { code: code ?? fallbackCode, message: message ?? fallbackMessage };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) cur = isObject(cur) && Object.hasOwn(cur, key) ? cur[key] : undefined;
  return cur;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A job or event id: a non-empty string (or a whole number, as providers sometimes send) of bounded length. */
function id(value: unknown): string | null {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof s === 'string' && s.trim() !== '' && s.length <= MAX_ID_LENGTH ? s : null;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function header(headers: DeliveryHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function normalizeWord(word: string): string {
  return word.trim().toLowerCase().replace(/[\s-]+/g, '_');
}
