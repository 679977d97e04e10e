/** qomplement's webhook bodies (docs/providers/qomplement.md, "Webhooks"): `{job_id, data: {id, type, status, result | error}}`. */
import { count, errorOf, id, isObject, job, pick, str, type Delivery, type JobIds, type Json, type ProviderWebhooks } from '../common/webhook.js';

/** A failed job's code when its `error` has none, from a poll and a webhook alike. */
export const QOMPLEMENT_JOB_FAILED = 'QOMPLEMENT_JOB_FAILED';

export const webhooks: ProviderWebhooks = {
  parse: parseQomplement,
  // A job id beside a `data` object that has a status or a type.
  shapes: [{ rank: 40, matches: (o) => o.job_id !== undefined && isObject(o.data) && (o.data.status !== undefined || o.data.type !== undefined) }],
};

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
