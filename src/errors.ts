/**
 * Exit codes are part of the public contract (docs/exit-codes.md): never renumber them.
 * Errors become exit codes in one place only: `run()` in main.ts.
 */
export enum ExitCode {
  Ok = 0,
  Internal = 1,
  Usage = 2,
  Partial = 3,
  AllFailed = 4,
  Auth = 5,
  BadSignature = 6,
  Timeout = 7,
  Interrupted = 130,
  /** The reader of stdout (or stderr) went away, as with `| head`: the conventional code of a SIGPIPE death (128 + 13). */
  ClosedPipe = 141,
  Terminated = 143,
}

/** Broad cause of a failure, stored in manifest rows (`error.category`). */
export type ErrorCategory = 'input' | 'document' | 'engine' | 'limit' | 'provider' | 'network' | 'internal';

/** A known error: printed as one summary line plus, when known, the fix. */
export class OcrqError extends Error {
  readonly exitCode: ExitCode = ExitCode.Internal;
  constructor(
    message: string,
    readonly fix?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends OcrqError {
  override readonly exitCode = ExitCode.Usage;
}

/** Bad configuration or environment discovered before any work starts (unwritable manifest, lock held...). */
export class ConfigError extends OcrqError {
  override readonly exitCode = ExitCode.Usage;
}

/** The manifest cannot be trusted as resume state (corrupt middle line...). */
export class ManifestError extends OcrqError {
  override readonly exitCode = ExitCode.Usage;
}

export class AuthError extends OcrqError {
  override readonly exitCode = ExitCode.Auth;
}

/** A bug: the message says so and asks for a report. */
export class InternalError extends OcrqError {
  override readonly exitCode = ExitCode.Internal;
}

/** Stable error codes written to manifest rows (`error.code`). Providers add their own. */
export const ErrorCodes = {
  UNSUPPORTED_TYPE: 'UNSUPPORTED_TYPE',
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FILE_UNREADABLE: 'FILE_UNREADABLE',
  FILE_VANISHED: 'FILE_VANISHED',
  FILE_CHANGED: 'FILE_CHANGED',
  NOT_REGULAR_FILE: 'NOT_REGULAR_FILE',
  SYMLINK_OUTSIDE_ROOT: 'SYMLINK_OUTSIDE_ROOT',
  SYMLINK_DANGLING: 'SYMLINK_DANGLING',
  ZIP_UNSAFE: 'ZIP_UNSAFE',
  ZIP_INVALID: 'ZIP_INVALID',
  PDF_PASSWORD_PROTECTED: 'PDF_PASSWORD_PROTECTED',
  PDF_INVALID: 'PDF_INVALID',
  IMAGE_INVALID: 'IMAGE_INVALID',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  OCR_FAILED: 'OCR_FAILED',
  /** The document worker died twice on the same page without a budget being exceeded (a crash in native code). */
  ENGINE_CRASHED: 'ENGINE_CRASHED',
  /** Earlier runs died (killed, out of memory) while this document was in progress, too many times to try again. */
  CRASHED_REPEATEDLY: 'CRASHED_REPEATEDLY',
  JOB_CANCELLED: 'JOB_CANCELLED',
  UNSUPPORTED_BY_PROVIDER: 'UNSUPPORTED_BY_PROVIDER',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (string & {});

/** A failure on one document: a result value, not an exception. */
export interface DocumentFailure {
  code: ErrorCode;
  message: string;
  category: ErrorCategory;
  /** Which limit a LIMIT_EXCEEDED failure hit: `pages`, `pixels`, `memory` or `time`. */
  reason?: LimitReason;
}

export type LimitReason = 'pages' | 'pixels' | 'memory' | 'time';

/** Thrown inside a document's processing to fail that document only; the pipeline turns it into a row. */
export class DocumentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly category: ErrorCategory = 'document',
    readonly reason?: LimitReason,
  ) {
    super(message);
    this.name = 'DocumentError';
  }

  toFailure(): DocumentFailure {
    const failure: DocumentFailure = { code: this.code, message: this.message, category: this.category };
    if (this.reason) failure.reason = this.reason;
    return failure;
  }

  static fromFailure(failure: DocumentFailure): DocumentError {
    return new DocumentError(failure.code, failure.message, failure.category, failure.reason);
  }
}
