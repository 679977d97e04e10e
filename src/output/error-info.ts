import { InternalError, OcrqError } from '../errors.js';
import { redact } from './redact.js';

/** The `error` of an NDJSON `error` event: what kind of error, its message and, when known, the fix. */
export interface ErrorInfo {
  kind: string;
  message: string;
  fix?: string;
}

/**
 * An error as NDJSON consumers get it, secrets redacted: a known error by its class name, anything else as an
 * `InternalError` (a bug). `message`, when the event says more than the error, replaces the error's own message
 * (already made safe by the caller).
 */
export function errorInfo(error: unknown, message?: string): ErrorInfo {
  const known = error instanceof OcrqError && !(error instanceof InternalError);
  const e = error instanceof Error ? error : new Error(String(error));
  const fix = known ? (error as OcrqError).fix : undefined;
  return { kind: known ? e.name : 'InternalError', message: message ?? redact(e.message), ...(fix ? { fix: redact(fix) } : {}) };
}
