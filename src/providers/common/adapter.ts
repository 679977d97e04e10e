import type { ProviderName } from '../registry.js';
import type { DocType } from '../../documents/types.js';
import { UsageError } from '../../errors.js';
import { ProviderRequestError, type HttpResponse, type ParsedError, type ProviderHttp } from '../../http/client.js';

/** A provider's job as ocrq sees it. `providerStatus` is the provider's own word for it. */
export type JobState =
  | { state: 'pending'; providerStatus: string; retryAfterMs?: number }
  | { state: 'completed'; providerStatus: string; text?: string; pages?: number; result: unknown }
  | { state: 'failed'; providerStatus: string; error: { code: string; message: string } };

export interface SubmitInput {
  data: Uint8Array;
  fileName: string;
  mime: string;
  type: DocType;
  idempotencyKey: string;
  /** `--option key=value` pairs, already checked against the adapter's `options`. */
  options: Record<string, string>;
  /** Where the provider should deliver the result, for providers that take it per request. */
  callbackUrl?: string;
}

export interface AdapterOption {
  help: string;
  default?: string;
  /** The run cannot start without it (e.g. DocExtract's extractor_id). */
  required?: boolean;
}

/**
 * One remote provider: how to authenticate, submit, poll and read errors. Everything else (rate limiting, retries,
 * intents, resume, polling cadence, manifest rows) is shared and lives in client.ts and remote.ts.
 */
export interface ProviderAdapter {
  readonly name: ProviderName;
  /** The API base exactly as the provider's contract states it; `--base-url` replaces it. */
  readonly defaultBaseUrl: string;
  /** Document types the provider takes; others fail with UNSUPPORTED_BY_PROVIDER without a request. */
  readonly accepts: ReadonlySet<DocType>;
  readonly options: Record<string, AdapterOption>;
  /** False when the provider ignores Idempotency-Key: a submit that may have reached it is then not resent blindly. */
  readonly idempotent: boolean;
  authHeader(key: string): { header: string; value: string };
  parseError(status: number, body: Buffer): ParsedError;
  /** Checks option values before anything is journaled or sent; throws UsageError with the fix. */
  checkOptions?(options: Record<string, string>): void;
  submit(input: SubmitInput, http: ProviderHttp, signal: AbortSignal): Promise<{ jobId: string; state?: JobState }>;
  /** `options` are the run's, as given to submit (a resumed run polls jobs it did not submit itself). */
  poll(jobId: string, http: ProviderHttp, signal: AbortSignal, options: Record<string, string>): Promise<JobState>;
}

/** Reads a JSON object body; anything else fails that document (BAD_RESPONSE), not the run. */
export function jsonObject(res: HttpResponse, provider: string, purpose: string): Record<string, unknown> {
  const value = res.json();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderRequestError(res.status, 'BAD_RESPONSE', `${provider} ${purpose}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** A malformed answer fails the document, never the run. */
export function badResponse(res: HttpResponse, provider: string, message: string): ProviderRequestError {
  return new ProviderRequestError(res.status, 'BAD_RESPONSE', `${provider} ${message}`);
}

/** An option whose value must be a JSON object (a schema, metadata); anything else is a usage error with an example. */
export function jsonObjectOption(provider: string, option: string, text: string, example: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${provider} option ${option} must be a JSON object`, `e.g. --option '${option}=${example}'`);
  }
  return value as Record<string, unknown>;
}

/** First string (or number, as a string) found at these dotted paths. */
export function pickString(obj: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const v = pickValue(obj, p);
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

export function pickValue(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Error bodies as the providers send them: `{error: {code, message}}`, `{detail: "CODE: text"}`,
 * `{code, error: {message}}`, `{error: "text", message}`, FastAPI's `{detail: [{msg}]}`.
 */
export function parseErrorBody(body: Buffer): ParsedError {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    const text = body.toString('utf8').trim().slice(0, 200);
    return text ? { message: text } : {};
  }
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) return {};
  const err = o.error;
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    return { code: str(e.code) ?? str(o.code), message: str(e.message) };
  }
  if (typeof o.detail === 'string') {
    const m = /^([A-Z][A-Z0-9_]+):\s*(.*)$/s.exec(o.detail);
    return m ? { code: m[1], message: m[2] } : { message: o.detail };
  }
  if (Array.isArray(o.detail)) {
    const msgs = o.detail.map((d) => str((d as Record<string, unknown>)?.msg)).filter(Boolean);
    return { code: 'VALIDATION_ERROR', message: msgs.join('; ') || undefined };
  }
  return { code: str(o.code), message: str(err) ?? str(o.message) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}
