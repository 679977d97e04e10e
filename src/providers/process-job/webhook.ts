/**
 * process-job's webhook bodies (docs/providers/process-job.md, "Webhooks"): `{job_id, template_id, static_values,
 * result}`, sent on success only; a failure shape is tolerated if it comes.
 */
import { id, job, str, type Delivery, type JobIds, type Json, type ProviderWebhooks } from '../common/webhook.js';

/** A failed job's code: DocuProx publishes none. */
export const PROCESS_JOB_FAILED = 'PROCESS_JOB_FAILED';

export const webhooks: ProviderWebhooks = {
  parse: parseProcessJob,
  // A job id beside the template's fields.
  shapes: [{ rank: 50, matches: (o) => o.job_id !== undefined && ('template_id' in o || 'static_values' in o) }],
};

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
