/** The signature schemes ocrq verifies, named as on the command line (`--scheme`). */
export const SCHEMES = [
  'hmac-sha256-hex',
  'hmac-sha256-hex-timestamped',
  'hmac-sha256-base64',
  'standard-webhooks',
  'stripe',
] as const;
export type Scheme = (typeof SCHEMES)[number];

export type InvalidReason = 'missing header' | 'malformed header' | 'wrong signature' | 'stale timestamp' | 'malformed timestamp';

/** `detail` names headers and what was wrong with them; it never holds the secret, a signature or a digest. */
export type VerifyResult = { valid: true; scheme: Scheme } | { valid: false; reason: InvalidReason; detail: string };

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface VerifyInput {
  scheme: Scheme;
  /** As configured (standard-webhooks: `whsec_<base64>`; others: the UTF-8 string). */
  secret: string;
  /** Raw bytes, never a decoded string. */
  body: Buffer;
  /** Request headers, lower-cased names; Node gives repeated headers joined with ", " or as arrays. */
  headers: HeaderMap;
  /** Header holding the signature for the hex/base64 schemes (default DEFAULT_SIGNATURE_HEADER[scheme]). Standard
   *  Webhooks and Stripe have fixed header names and ignore it. */
  signatureHeader?: string;
  /** Header holding the timestamp for hmac-sha256-hex-timestamped (default x-webhook-timestamp). */
  timestampHeader?: string;
  /** standard-webhooks and stripe (default 300). The timestamped hex scheme has no documented window and ignores it. */
  toleranceSeconds?: number;
  /** Injectable clock, Unix seconds. */
  nowSeconds?: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

export const DEFAULT_SIGNATURE_HEADER: Record<Scheme, string> = {
  'hmac-sha256-hex': 'ocrqueen-signature',
  'hmac-sha256-hex-timestamped': 'x-webhook-signature',
  'hmac-sha256-base64': 'x-webhook-signature',
  'standard-webhooks': 'webhook-signature',
  stripe: 'stripe-signature',
};
export const DEFAULT_TIMESTAMP_HEADER = 'x-webhook-timestamp';

export const STANDARD_WEBHOOKS_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;
/** Svix sends the same scheme under its own header names; they are read wherever the standard ones are. */
export const SVIX_HEADERS = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' } as const;

export function isScheme(value: string): value is Scheme {
  return (SCHEMES as readonly string[]).includes(value);
}

/** Longest API key or signing secret accepted: anything longer is a file's content given by mistake. */
export const MAX_SECRET_LENGTH = 4096;
