/**
 * OCRQueen's webhook bodies (docs/providers/ocrqueen.md, "Webhooks"): the envelope
 * `{event_id, event_type, timestamp, job_id, data: {document | error}}`, or the bare job object as
 * `GET /v1/jobs/{id}` returns it.
 */
import { ErrorCodes } from '../../errors.js';
import { accountEvent, ACCOUNT_EVENTS, count, errorOf, header, id, isObject, job, pick, str, type Delivery, type DeliveryHeaders, type JobFields, type JobIds, type Json, type ProviderWebhooks } from '../common/webhook.js';

/** A failed job's code when OCRQueen gives none, from a poll and a webhook alike. */
export const OCRQUEEN_JOB_FAILED = 'PROVIDER_FAILED';
export const CANCELLED_MESSAGE = 'the job was cancelled at OCRQueen';

export const webhooks: ProviderWebhooks = {
  parse: parseOcrqueen,
  shapes: [
    // An envelope: an extraction event, or any event carrying `data`.
    { rank: 20, matches: (o) => isEnvelope(o) },
    // Last of all: the bare job object.
    { rank: 60, matches: (o) => o.job_id !== undefined && typeof o.status === 'string' },
  ],
};

function isEnvelope(o: Json): boolean {
  const eventType = str(o.event_type);
  return eventType !== undefined && (eventType.startsWith('extraction.') || isObject(o.data));
}

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
    if (status === 'cancelled') return job(ids, 'failed', { error: { code: ErrorCodes.JOB_CANCELLED, message: CANCELLED_MESSAGE } });
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
