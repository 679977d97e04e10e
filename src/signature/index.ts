export {
  SCHEMES,
  DEFAULT_SIGNATURE_HEADER,
  DEFAULT_TIMESTAMP_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  STANDARD_WEBHOOKS_HEADERS,
  isScheme,
  type Scheme,
  type InvalidReason,
  type VerifyResult,
  type VerifyInput,
  type HeaderMap,
} from './types.js';
export { verifySignature, checkSecret, WHSEC_PREFIX } from './verify.js';
export { DIGEST_BYTES } from './schemes.js';
