/**
 * One verifier per scheme. Every verifier checks a header's format and decoded length before comparing, compares
 * decoded bytes with `timingSafeEqual`, and turns anything a sender can put in a header into an `invalid` result:
 * none of them throws on header or body content.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hasHeader, readHeader } from './headers.js';
import { STANDARD_WEBHOOKS_HEADERS, SVIX_HEADERS, type HeaderMap, type InvalidReason, type Scheme, type VerifyResult } from './types.js';

/** HMAC-SHA256 output length: a signature must decode to exactly this many bytes before it is compared. */
export const DIGEST_BYTES = 32;
const HEX_DIGEST_CHARS = DIGEST_BYTES * 2;
/** OCRQueen (and GitHub) put this in front of the hex digest. */
const HEX_PREFIX = 'sha256=';
const DIGITS = /^[0-9]+$/;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const STRIPE_HEADER = 'stripe-signature';

export interface SchemeContext {
  key: Buffer;
  body: Buffer;
  headers: HeaderMap;
  signatureHeader: string;
  timestampHeader: string;
  nowSeconds: number;
  toleranceSeconds: number;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };
type Step<T> = { ok: true; value: T } | { ok: false; result: VerifyResult };

const fail = (detail: string): { ok: false; detail: string } => ({ ok: false, detail });
const invalid = (reason: InvalidReason, detail: string): VerifyResult => ({ valid: false, reason, detail });

export function hmacSha256(key: Buffer, ...parts: Buffer[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function matches(expected: Buffer, received: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(expected, received);
}

function compare(expected: Buffer, received: Buffer, scheme: Scheme, header: string): VerifyResult {
  return matches(expected, received) ? { valid: true, scheme } : invalid('wrong signature', `${header} does not match the body and secret`);
}

function requireHeader(headers: HeaderMap, name: string): Step<string> {
  const found = readHeader(headers, name);
  if (found.kind === 'missing') return { ok: false, result: invalid('missing header', `no ${name} header`) };
  if (found.kind === 'repeated') {
    return { ok: false, result: invalid('malformed header', `${name} appears ${found.count} times; one is expected`) };
  }
  return { ok: true, value: found.value };
}

/** 64 hex digits in either case, optionally after `sha256=`; anything else (lists, `0x`, odd or short lengths) fails. */
export function parseHexDigest(value: string, allowPrefix: boolean): Parsed<Buffer> {
  if (value === '') return fail('is empty');
  let hex = value;
  if (allowPrefix && hex.startsWith(HEX_PREFIX)) {
    hex = hex.slice(HEX_PREFIX.length);
    if (hex === '') return fail(`holds only the ${HEX_PREFIX} prefix`);
  }
  if (hex.includes(',')) return fail('holds a list of values (a repeated header?); one signature is expected');
  if (!HEX.test(hex)) return fail(`holds characters other than hex digits; expected ${HEX_DIGEST_CHARS} hex digits`);
  if (hex.length !== HEX_DIGEST_CHARS) return fail(`holds ${hex.length} hex digits; expected ${HEX_DIGEST_CHARS}`);
  return { ok: true, value: Buffer.from(hex, 'hex') };
}

/** Standard base64 that re-encodes to itself (padding optional): Buffer.from() would skip stray characters silently. */
export function decodeBase64Strict(value: string): Buffer | null {
  if (!BASE64.test(value)) return null;
  const padded = value.padEnd(Math.ceil(value.length / 4) * 4, '=');
  if (padded !== value && value.includes('=')) return null;
  const decoded = Buffer.from(padded, 'base64');
  return decoded.toString('base64') === padded ? decoded : null;
}

export function parseBase64Digest(value: string): Parsed<Buffer> {
  if (value === '') return fail('is empty');
  const decoded = decodeBase64Strict(value);
  if (!decoded) return fail('is not base64');
  if (decoded.length !== DIGEST_BYTES) return fail(`decodes to ${decoded.length} bytes; expected ${DIGEST_BYTES}`);
  return { ok: true, value: decoded };
}

/** Unix seconds, digits only: `1.5e9`, `-1`, `1700000000abc` and empty values are refused, not coerced. */
function parseTimestamp(value: string, header: string): Step<string> {
  if (value === '') return { ok: false, result: invalid('malformed timestamp', `${header} is empty`) };
  if (!DIGITS.test(value)) return { ok: false, result: invalid('malformed timestamp', `${header} is not a whole number of seconds`) };
  return { ok: true, value };
}

function checkFresh(timestamp: string, header: string, ctx: SchemeContext): VerifyResult | null {
  const age = ctx.nowSeconds - Number(timestamp);
  const tolerance = ctx.toleranceSeconds;
  if (age > tolerance) return invalid('stale timestamp', `${header} is ${age} s old; the tolerance is ${tolerance} s`);
  if (-age > tolerance) return invalid('stale timestamp', `${header} is ${-age} s in the future; the tolerance is ${tolerance} s`);
  return null;
}

export function verifyHex(ctx: SchemeContext): VerifyResult {
  const sig = requireHeader(ctx.headers, ctx.signatureHeader);
  if (!sig.ok) return sig.result;
  const digest = parseHexDigest(sig.value, true);
  if (!digest.ok) return invalid('malformed header', `${ctx.signatureHeader} ${digest.detail}`);
  return compare(hmacSha256(ctx.key, ctx.body), digest.value, 'hmac-sha256-hex', ctx.signatureHeader);
}

/** LeapOCR's SDK form: hex HMAC of `<timestamp>.<body>`. No replay window is documented, so none is applied. */
export function verifyHexTimestamped(ctx: SchemeContext): VerifyResult {
  const sig = requireHeader(ctx.headers, ctx.signatureHeader);
  if (!sig.ok) return sig.result;
  const ts = requireHeader(ctx.headers, ctx.timestampHeader);
  if (!ts.ok) return ts.result;
  const digest = parseHexDigest(sig.value, false);
  if (!digest.ok) return invalid('malformed header', `${ctx.signatureHeader} ${digest.detail}`);
  const timestamp = parseTimestamp(ts.value, ctx.timestampHeader);
  if (!timestamp.ok) return timestamp.result;
  const expected = hmacSha256(ctx.key, Buffer.from(`${timestamp.value}.`, 'utf8'), ctx.body);
  return compare(expected, digest.value, 'hmac-sha256-hex-timestamped', ctx.signatureHeader);
}

export function verifyBase64(ctx: SchemeContext): VerifyResult {
  const sig = requireHeader(ctx.headers, ctx.signatureHeader);
  if (!sig.ok) return sig.result;
  const digest = parseBase64Digest(sig.value);
  if (!digest.ok) return invalid('malformed header', `${ctx.signatureHeader} ${digest.detail}`);
  return compare(hmacSha256(ctx.key, ctx.body), digest.value, 'hmac-sha256-base64', ctx.signatureHeader);
}

/**
 * Standard Webhooks: `v1,<base64>` entries separated by spaces (several during a secret rotation); valid when any
 * v1 entry matches. Entries of other versions, without a comma or with a malformed digest are skipped.
 */
export function verifyStandardWebhooks(ctx: SchemeContext): VerifyResult {
  // Svix's names when the delivery carries none of the standard ones (a delivery has one set or the other).
  const standard = Object.values(STANDARD_WEBHOOKS_HEADERS).some((name) => hasHeader(ctx.headers, name));
  const svix = !standard && Object.values(SVIX_HEADERS).some((name) => hasHeader(ctx.headers, name));
  const names = svix ? SVIX_HEADERS : STANDARD_WEBHOOKS_HEADERS;
  const id = requireHeader(ctx.headers, names.id);
  if (!id.ok) return id.result;
  const ts = requireHeader(ctx.headers, names.timestamp);
  if (!ts.ok) return ts.result;
  const sig = requireHeader(ctx.headers, names.signature);
  if (!sig.ok) return sig.result;
  if (id.value === '') return invalid('malformed header', `${names.id} is empty`);
  const timestamp = parseTimestamp(ts.value, names.timestamp);
  if (!timestamp.ok) return timestamp.result;
  const stale = checkFresh(timestamp.value, names.timestamp, ctx);
  if (stale) return stale;

  const expected = hmacSha256(ctx.key, Buffer.from(`${id.value}.${timestamp.value}.`, 'utf8'), ctx.body);
  let v1Entries = 0;
  let wellFormed = 0;
  let matched = false;
  for (const entry of sig.value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    v1Entries++;
    const digest = parseBase64Digest(entry.slice(comma + 1));
    if (!digest.ok) continue;
    wellFormed++;
    // Every entry is compared, so the time taken does not depend on which one matched.
    if (matches(expected, digest.value)) matched = true;
  }
  if (matched) return { valid: true, scheme: 'standard-webhooks' };
  if (v1Entries === 0) return invalid('malformed header', `${names.signature} holds no v1 signature`);
  if (wellFormed === 0) return invalid('malformed header', `no v1 entry of ${names.signature} holds a ${DIGEST_BYTES}-byte base64 signature`);
  return invalid('wrong signature', `no v1 entry of ${names.signature} matches the body and secret`);
}

/** Stripe: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` over `<t>.<body>`; unknown items (v0, …) are skipped. */
export function verifyStripe(ctx: SchemeContext): VerifyResult {
  const sig = requireHeader(ctx.headers, STRIPE_HEADER);
  if (!sig.ok) return sig.result;
  if (sig.value === '') return invalid('malformed header', `${STRIPE_HEADER} is empty`);
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const item of sig.value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const name = item.slice(0, eq);
    if (name === 't') timestamps.push(item.slice(eq + 1));
    else if (name === 'v1') signatures.push(item.slice(eq + 1));
  }
  if (timestamps.length === 0) return invalid('malformed header', `${STRIPE_HEADER} holds no t= timestamp`);
  if (timestamps.length > 1) return invalid('malformed header', `${STRIPE_HEADER} holds more than one t= timestamp`);
  if (signatures.length === 0) return invalid('malformed header', `${STRIPE_HEADER} holds no v1= signature`);
  const timestamp = parseTimestamp(timestamps[0], `${STRIPE_HEADER} t=`);
  if (!timestamp.ok) return timestamp.result;
  const stale = checkFresh(timestamp.value, `${STRIPE_HEADER} t=`, ctx);
  if (stale) return stale;

  const digests = signatures.map((s) => parseHexDigest(s, false)).filter((d) => d.ok);
  if (digests.length === 0) return invalid('malformed header', `no v1= entry of ${STRIPE_HEADER} holds ${HEX_DIGEST_CHARS} hex digits`);
  const expected = hmacSha256(ctx.key, Buffer.from(`${timestamp.value}.`, 'utf8'), ctx.body);
  let matched = false;
  for (const digest of digests) if (matches(expected, digest.value)) matched = true;
  return matched ? { valid: true, scheme: 'stripe' } : invalid('wrong signature', `no v1= entry of ${STRIPE_HEADER} matches the body and secret`);
}
