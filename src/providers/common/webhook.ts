/**
 * What a provider's webhook body says, in ocrq's terms: a job outcome (`job`) or a notice about the account
 * (`event`: `webhook.test`, DocExtract's credit events). Each provider's `webhook.ts` reads its own shapes with the
 * helpers here; `src/results/payloads.ts` picks the reader. Nothing here trusts the body: every field is checked for
 * type, and ids are capped in length.
 */
import type { ProviderName } from '../registry.js';

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

export type Json = Record<string, unknown>;

/** A body shape by which a delivery without a known signature header is recognised as one provider's. */
export interface BodyShape {
  /**
   * The shapes of every provider are tried from the lowest rank up and the first match wins, so a shape may rely on
   * the lower-ranked ones not having matched: precise shapes take low ranks, catch-alls high ones.
   */
  rank: number;
  matches(json: Json): boolean;
}

/** One provider's webhook reader (`src/providers/<name>/webhook.ts`). */
export interface ProviderWebhooks {
  /** The body as a job outcome or an account event; null when it is neither (the listener answers 400). */
  parse(json: Json, headers: DeliveryHeaders): Delivery | null;
  shapes: BodyShape[];
}

/** Longer job or event ids are refused: no provider's id is this long, and a manifest key should stay small. */
export const MAX_ID_LENGTH = 256;

/** Events that say the account is about to stop processing jobs: shown prominently. */
export const LOW_CREDIT_EVENTS: ReadonlySet<string> = new Set(['credits.low_balance', 'credits.depleted']);

export const ACCOUNT_EVENTS: ReadonlySet<string> = new Set(['webhook.test', ...LOW_CREDIT_EVENTS]);

export type JobIds = Pick<JobDelivery, 'provider' | 'jobId' | 'eventId'>;
export type JobFields = Pick<JobDelivery, 'text' | 'pages' | 'result' | 'error' | 'needsResult'>;

/** One literal plus Object.assign: spreading a shared `{kind, provider, jobId, eventId}` cost microseconds a delivery. */
export function job(ids: JobIds, status: JobDelivery['status'], fields?: JobFields): JobDelivery {
  const delivery: JobDelivery = { kind: 'job', provider: ids.provider, jobId: ids.jobId, eventId: ids.eventId, status };
  return fields ? Object.assign(delivery, fields) : delivery;
}

/**
 * A payload with an event type but no job: an account event. A job event type (`extraction.*`, `job.*`) without
 * its job id is malformed instead (null). Unknown account events are still events: answering them 4xx would only
 * make the provider retry, and LeapOCR disables an endpoint after five failed deliveries.
 */
export function accountEvent(provider: ProviderName, type: string, eventId: string | null, data: unknown, jobPrefix: string): Delivery | null {
  if (type.startsWith(jobPrefix) && !ACCOUNT_EVENTS.has(type)) return null;
  if (type.length > MAX_ID_LENGTH) return null;
  return { kind: 'event', provider, type, eventId, data: data ?? null };
}

export function errorOf(error: unknown, flat: Json, fallbackCode: string, fallbackMessage: string): { code: string; message: string } {
  const e = isObject(error) ? error : {};
  const code = str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined) ?? str(flat.error_code);
  const message = str(e.message) ?? (typeof error === 'string' ? error : undefined) ?? str(flat.error_message);
  return { code: code ?? fallbackCode, message: message ?? fallbackMessage };
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function pick(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) cur = isObject(cur) && Object.hasOwn(cur, key) ? cur[key] : undefined;
  return cur;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A job or event id: a non-empty string (or a whole number, as providers sometimes send) of bounded length. */
export function id(value: unknown): string | null {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof s === 'string' && s.trim() !== '' && s.length <= MAX_ID_LENGTH ? s : null;
}

export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function header(headers: DeliveryHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

export function normalizeWord(word: string): string {
  return word.trim().toLowerCase().replace(/[\s-]+/g, '_');
}
