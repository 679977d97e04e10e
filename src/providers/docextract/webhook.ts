/**
 * DocExtract's webhook bodies (docs/providers/docextract.md, "Webhooks"):
 * `{event, data: {id, status, extracted_data | error_details}}`; credit and test events carry no job.
 */
import { accountEvent, ACCOUNT_EVENTS, errorOf, id, isObject, job, normalizeWord, pick, str, type Delivery, type JobIds, type Json, type ProviderWebhooks } from '../common/webhook.js';

/** A failed job's code when `error_details` has none, from a poll and a webhook alike. */
export const DOCEXTRACT_JOB_FAILED = 'DOCEXTRACT_JOB_FAILED';

export const webhooks: ProviderWebhooks = {
  parse: parseDocextract,
  // `event` (not `event_type`) with a `data` object.
  shapes: [{ rank: 10, matches: (o) => typeof o.event === 'string' && isObject(o.data) && str(o.event_type) === undefined }],
};

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
