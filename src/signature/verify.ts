/**
 * `verifySignature` decides whether a delivery was signed with the secret; it never throws on what a sender controls
 * (headers, body). It throws only for a secret that cannot sign anything, which `checkSecret` refuses at startup.
 */
import { ConfigError, UsageError } from '../errors.js';
import { MAX_SECRET_LENGTH } from './types.js';
import {
  decodeBase64Strict,
  verifyBase64,
  verifyHex,
  verifyHexTimestamped,
  verifyStandardWebhooks,
  verifyStripe,
  type SchemeContext,
} from './schemes.js';
import {
  DEFAULT_SIGNATURE_HEADER,
  DEFAULT_TIMESTAMP_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  SCHEMES,
  isScheme,
  type Scheme,
  type VerifyInput,
  type VerifyResult,
} from './types.js';

/** Standard Webhooks secrets are this prefix followed by the base64 key. */
export const WHSEC_PREFIX = 'whsec_';

const VERIFIERS: Record<Scheme, (ctx: SchemeContext) => VerifyResult> = {
  'hmac-sha256-hex': verifyHex,
  'hmac-sha256-hex-timestamped': verifyHexTimestamped,
  'hmac-sha256-base64': verifyBase64,
  'standard-webhooks': verifyStandardWebhooks,
  stripe: verifyStripe,
};

export function verifySignature(input: VerifyInput): VerifyResult {
  if (!isScheme(input.scheme)) throw new UsageError('unknown signature scheme', `use one of: ${SCHEMES.join(', ')}`);
  const toleranceSeconds = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  // NaN would make every timestamp look fresh.
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new UsageError('the signature tolerance must be a number of seconds, 0 or more');
  }
  const nowSeconds = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isFinite(nowSeconds)) throw new UsageError('the clock given to signature verification is not a number');
  return VERIFIERS[input.scheme]({
    key: signingKey(input.secret, input.scheme),
    body: input.body,
    headers: input.headers,
    signatureHeader: (input.signatureHeader ?? DEFAULT_SIGNATURE_HEADER[input.scheme]).toLowerCase(),
    timestampHeader: (input.timestampHeader ?? DEFAULT_TIMESTAMP_HEADER).toLowerCase(),
    nowSeconds,
    toleranceSeconds,
  });
}

/** The HMAC key: the secret's UTF-8 bytes, or for Standard Webhooks the base64 key after `whsec_`. */
function signingKey(secret: string, scheme: Scheme): Buffer {
  if (scheme === 'standard-webhooks') {
    const key = decodeWhsec(secret);
    if (!key) throw new ConfigError('the webhook secret is not whsec_ followed by a base64 key', SECRET_FIX);
    return key;
  }
  // An empty key would let anyone sign.
  if (secret === '' || secret === WHSEC_PREFIX) throw new ConfigError('the webhook secret is empty', SECRET_FIX);
  return Buffer.from(secret, 'utf8');
}

/** The prefix is optional, as in the Standard Webhooks libraries; the key must be canonical base64 of 1 byte or more. */
function decodeWhsec(secret: string): Buffer | null {
  const encoded = secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret;
  const key = encoded === '' ? null : decodeBase64Strict(encoded);
  return key && key.length > 0 ? key : null;
}

const SECRET_FIX = "copy the signing secret again from the provider's dashboard";

/**
 * Secret checks done at startup. Empty, `whsec_` with nothing after it, or (Standard Webhooks)
 * not base64 → ConfigError naming `source`, never the value. Surrounding whitespace, such as the newline of a secret
 * read from a file, is trimmed and reported in `notice`, so that no run silently rejects every delivery.
 */
export function checkSecret(secret: string | undefined, scheme: Scheme, source: string): { secret: string; notice?: string } {
  const trimmed = (secret ?? '').trim();
  if (trimmed === '') throw new ConfigError(`the webhook secret from ${source} is empty`, SECRET_FIX);
  if (trimmed.length > MAX_SECRET_LENGTH) {
    throw new ConfigError(`the webhook secret from ${source} is longer than ${MAX_SECRET_LENGTH} characters`, 'give the secret itself, not a file');
  }
  if (trimmed === WHSEC_PREFIX) {
    throw new ConfigError(
      `the webhook secret from ${source} is only the ${WHSEC_PREFIX} prefix`,
      `${SECRET_FIX}, including what follows ${WHSEC_PREFIX}`,
    );
  }
  if (scheme === 'standard-webhooks' && !decodeWhsec(trimmed)) {
    throw new ConfigError(`the webhook secret from ${source} is not ${WHSEC_PREFIX} followed by a base64 key`, SECRET_FIX);
  }
  if (trimmed === secret) return { secret: trimmed };
  return { secret: trimmed, notice: `removed whitespace around the webhook secret from ${source}` };
}
