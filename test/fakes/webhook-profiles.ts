/**
 * Each provider's webhooks as its contract (docs/providers/*.md, "Webhooks") describes them: target,
 * payload, headers, signature, what counts as delivered, which failures are retried, and the schedule.
 * Where a contract is silent the choice is marked "assumed".
 */
import { randomUUID } from 'node:crypto';
import { renderJob as renderDocExtractJob } from './docextract.js';
import { randomHex } from './helpers.js';
import { renderJob as renderOcrQueenJob } from './ocrqueen.js';
import { renderJob as renderQomplementJob } from './qomplement.js';
import type { FakeJob, ProviderName } from './types.js';
import { signDocExtract, signLeapOcr, signLeapOcrR2, signOcrQueen, sortedJson } from './webhook-signing.js';
import { is2xx, WEBHOOK_DEFAULT_TIMEOUT_MS, type WebhookContext, type WebhookMessage, type WebhookProfile } from './webhooks.js';

const S = 1000;
const MIN = 60 * S;

export const OCRQUEEN_WEBHOOK_SCHEDULE = [0, 1 * S, 5 * S, 25 * S];
/** Assumed: LeapOCR does not publish its backoff. */
export const LEAPOCR_WEBHOOK_SCHEDULE = [0, 1 * S, 5 * S, 30 * S, 2 * MIN];
export const DOCEXTRACT_WEBHOOK_SCHEDULE = [0, 5 * S, 30 * S, 2 * MIN, 10 * MIN, 60 * MIN];
export const QOMPLEMENT_WEBHOOK_SCHEDULE = [0, 5 * S, 10 * S];
/** Assumed: process-job only says "automatic retry". */
export const PROCESS_JOB_WEBHOOK_SCHEDULE = [0, 5 * S, 30 * S];
export const RECEIVER_TIMEOUT_MS = 5_000;

const LEAPOCR_ACCOUNT = {
  user_id: '00000000-0000-4000-8000-00000000f001',
  team_id: '00000000-0000-4000-8000-00000000f002',
  organization_id: '00000000-0000-4000-8000-00000000f003',
};
const DOCEXTRACT_ORG = 'org_fake';

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const isoSeconds = (date: Date | undefined) => (date ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
const pagesOf = (job: FakeJob) => (job.outcome.kind === 'completed' ? job.outcome.pages : []);

const ocrqueen: WebhookProfile = {
  schedule: OCRQUEEN_WEBHOOK_SCHEDULE,
  timeoutMs: WEBHOOK_DEFAULT_TIMEOUT_MS, // assumed: no receiver timeout is published
  delivered: is2xx, // assumed: any 2xx
  retryable: () => true, // assumed: every non-2xx answer and every timeout
  forJob(job, ctx) {
    // assumed: a job answered inline (sync) sends no webhook; a cancelled job never reaches here
    if (job.inline) return undefined;
    const event = job.outcome.kind === 'failed' ? 'extraction.failed' : 'extraction.completed';
    const data =
      job.outcome.kind === 'failed'
        ? { error: { code: job.outcome.code, message: job.outcome.message } }
        : { document: renderOcrQueenJob(job, `${ctx.baseUrl}/v1/jobs/${job.id}`).document };
    const envelope = { event_id: `evt_${randomHex(12)}`, event_type: event, timestamp: isoSeconds(job.finishedAt), job_id: job.id, data };
    return ocrqueenMessage(ctx, envelope, job.callbackUrl ?? ctx.options.url);
  },
  events: {
    'webhook.test': (ctx, data) =>
      ocrqueenMessage(ctx, {
        event_id: `evt_${randomHex(12)}`,
        event_type: 'webhook.test',
        timestamp: isoSeconds(new Date()),
        data: { message: 'This is a test webhook event', endpoint_id: 'we_fake0endpoint', ...data },
      }),
  },
};

function ocrqueenMessage(ctx: WebhookContext, envelope: { event_type: string; job_id?: string; [key: string]: unknown }, url?: string): WebhookMessage {
  const body = Buffer.from(sortedJson(envelope), 'utf8');
  const signature = signOcrQueen(ctx.secret, body);
  return {
    event: envelope.event_type,
    jobId: envelope.job_id,
    url,
    body,
    headers: (attempt, deliveryId) => ({
      'Content-Type': 'application/json',
      'User-Agent': 'OCRQueen-Webhooks/1.0',
      'OCRQueen-Event': envelope.event_type,
      'OCRQueen-Signature': signature,
      'OCRQueen-Delivery-Id': deliveryId,
      'OCRQueen-Attempt': String(attempt),
    }),
  };
}

const leapocr: WebhookProfile = {
  schedule: LEAPOCR_WEBHOOK_SCHEDULE,
  timeoutMs: WEBHOOK_DEFAULT_TIMEOUT_MS, // assumed
  delivered: is2xx,
  // Transport errors, 408, 429 and 5xx are retried; any other 4xx is final.
  retryable: (status) => status === null || status === 408 || status === 429 || status >= 500,
  forJob(job, ctx) {
    const completed = job.outcome.kind === 'completed';
    const pages = pagesOf(job);
    const payload = {
      event_type: completed ? 'job.completed' : 'job.failed',
      event_id: randomUUID(),
      timestamp: (job.finishedAt ?? new Date()).toISOString(),
      job_id: job.id,
      status: job.status,
      ...LEAPOCR_ACCOUNT,
      file_name: job.files[0]?.filename ?? null,
      file_size: job.files[0]?.size ?? 0,
      total_pages: job.pageCount,
      processed_pages: completed ? job.pageCount : 0,
      created_at: job.createdAt.toISOString(),
      ...(job.outcome.kind === 'completed'
        ? {
            completed_at: job.finishedAt?.toISOString() ?? null,
            success_pages: pages.filter((p) => p.trim() !== '').length,
            empty_pages: pages.filter((p) => p.trim() === '').length,
            total_tokens: pages.reduce((n, p) => n + Math.ceil(p.length / 4), 0),
            credits_used: job.pageCount * (job.params.model === 'pro-v2' ? 3 : 1),
          }
        : { error_message: job.outcome.message }),
    };
    return leapocrMessage(ctx, payload, ctx.options.url);
  },
  events: {
    'webhook.test': (ctx, data) =>
      leapocrMessage(ctx, {
        event_type: 'webhook.test',
        event_id: randomUUID(),
        timestamp: isoSeconds(new Date()),
        message: 'This is a test webhook event',
        ...data,
      }),
  },
};

function leapocrMessage(ctx: WebhookContext, payload: { event_type: string; job_id?: string; [key: string]: unknown }, url?: string): WebhookMessage {
  const body = json(payload);
  const base = { 'Content-Type': 'application/json', 'User-Agent': 'LeapOCR-Webhook/1.0' };
  const r2 = ctx.options.leapocrScheme === 'r2';
  const { secret } = ctx;
  return {
    event: payload.event_type,
    jobId: payload.job_id,
    url,
    body,
    headers: () => {
      if (r2) return { ...base, 'X-R2-Signature': signLeapOcrR2(secret, body) };
      // Unix seconds at sending time, so a retry carries a fresh timestamp and signature.
      const timestamp = String(Math.floor(Date.now() / 1000));
      return { ...base, 'X-Webhook-Signature': signLeapOcr(secret, body, timestamp), 'X-Webhook-Timestamp': timestamp };
    },
  };
}

const docextract: WebhookProfile = {
  schedule: DOCEXTRACT_WEBHOOK_SCHEDULE,
  timeoutMs: RECEIVER_TIMEOUT_MS,
  // The contract names 200 only; any other answer is retried.
  delivered: (status) => status === 200,
  retryable: () => true,
  forJob(job, ctx) {
    const event = job.outcome.kind === 'failed' ? 'job.failed' : 'job.completed';
    return docextractMessage(ctx, event, renderDocExtractJob(job, ctx.baseUrl), ctx.options.url, job.id);
  },
  events: {
    'credits.low_balance': (ctx, data) =>
      docextractMessage(ctx, 'credits.low_balance', {
        org_id: DOCEXTRACT_ORG,
        current_balance: 50,
        threshold: 100,
        percentage_remaining: 5,
        estimated_jobs_remaining: 25,
        timestamp: new Date().toISOString(),
        ...data,
      }),
    'credits.depleted': (ctx, data) =>
      docextractMessage(ctx, 'credits.depleted', { org_id: DOCEXTRACT_ORG, depleted_at: new Date().toISOString(), jobs_queued: 0, ...data }),
    'webhook.test': (ctx, data) =>
      docextractMessage(ctx, 'webhook.test', { message: 'This is a test webhook from DocExtract', timestamp: new Date().toISOString(), ...data }),
  },
};

function docextractMessage(ctx: WebhookContext, event: string, data: unknown, url?: string, jobId?: string): WebhookMessage {
  const body = json({ event, data });
  const signature = signDocExtract(ctx.secret, body);
  // No other header (event type, delivery id, timestamp) is documented.
  return { event, jobId, url, body, headers: () => ({ 'Content-Type': 'application/json', 'X-DocExtract-Signature': signature }) };
}

const qomplement: WebhookProfile = {
  schedule: QOMPLEMENT_WEBHOOK_SCHEDULE,
  timeoutMs: RECEIVER_TIMEOUT_MS,
  delivered: is2xx,
  retryable: () => true,
  forJob(job) {
    // Only the per-request webhook_url exists; an inline (200) answer is final and sends nothing.
    if (job.inline || job.callbackUrl === undefined) return undefined;
    const rendered = renderQomplementJob(job);
    const data = {
      id: job.id,
      type: 'extract',
      status: job.status,
      ...(job.outcome.kind === 'completed' ? { result: rendered.result } : { error: rendered.error }),
    };
    const event = job.outcome.kind === 'completed' ? 'job.completed' : 'job.failed';
    // Unsigned: no secret, no signature, no custom header exists.
    return { event, jobId: job.id, url: job.callbackUrl, body: json({ job_id: job.id, data }), headers: () => ({ 'Content-Type': 'application/json' }) };
  },
  events: {},
};

const processJob: WebhookProfile = {
  schedule: PROCESS_JOB_WEBHOOK_SCHEDULE,
  timeoutMs: WEBHOOK_DEFAULT_TIMEOUT_MS,
  delivered: is2xx, // assumed
  retryable: () => true, // assumed
  forJob(job, ctx) {
    // No failure payload is documented, so a failed job sends nothing.
    if (job.outcome.kind === 'failed') return undefined;
    const body = json({
      job_id: job.id,
      template_id: job.params.template_id,
      static_values: job.params.static_values ?? {},
      result: { text: job.outcome.pages.join('\n\n') },
    });
    // Unsigned: the template's custom headers (webhooks.headers, added by the sender) are the only auth.
    return { event: 'job.completed', jobId: job.id, url: ctx.options.url, body, headers: () => ({ 'Content-Type': 'application/json' }) };
  },
  events: {},
};

export const WEBHOOK_PROFILES: Record<ProviderName, WebhookProfile> = {
  ocrqueen,
  leapocr,
  docextract,
  qomplement,
  'process-job': processJob,
};
