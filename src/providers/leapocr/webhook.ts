/**
 * LeapOCR's webhook bodies (docs/providers/leapocr.md, "Webhooks"): flat
 * `{event_type, event_id, job_id, status, error_message, total_pages, …}`, with no text in them: a completed job's
 * result is still fetched from the API.
 */
import { accountEvent, ACCOUNT_EVENTS, count, id, job, normalizeWord, str, type Delivery, type JobIds, type Json, type ProviderWebhooks } from '../common/webhook.js';

/** A failed job's code: LeapOCR reports no failure codes, from a poll or a webhook alike, only a message. */
export const LEAPOCR_JOB_FAILED = 'LEAPOCR_JOB_FAILED';
export const NO_REASON = 'the job failed (LeapOCR gives no reason)';

export const webhooks: ProviderWebhooks = {
  parse: parseLeapocr,
  // Any other body with an event type: OCRQueen's envelopes rank before it.
  shapes: [{ rank: 30, matches: (o) => str(o.event_type) !== undefined }],
};

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
    const message = str(o.error_message) ?? NO_REASON;
    return job(ids, 'failed', { error: { code: LEAPOCR_JOB_FAILED, message } });
  }
  if (type === undefined && o.status === undefined) return null;
  return job(ids, 'processing');
}
