/**
 * How the providers sign and serialise their webhooks, written from the contracts with node:crypto alone,
 * so that the fakes stay independent of the product's own verifier. Every key is the secret's UTF-8 bytes.
 */
import { createHmac } from 'node:crypto';

/** Lowercase hex HMAC-SHA256 of `data` keyed with the UTF-8 bytes of `secret`. */
export function hmacHex(secret: string, data: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(data).digest('hex');
}

/** OCRQueen-Signature value: `sha256=` and the hex HMAC of the raw body (no timestamp). */
export function signOcrQueen(secret: string, body: Buffer | string): string {
  return `sha256=${hmacHex(secret, body)}`;
}

/** LeapOCR X-Webhook-Signature (SDK 2.0.1): hex HMAC of `<X-Webhook-Timestamp>.<raw body>`. */
export function signLeapOcr(secret: string, body: Buffer | string, timestamp: string): string {
  return hmacHex(secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), Buffer.from(body)]));
}

/** LeapOCR's older X-R2-Signature: hex HMAC of the raw body. */
export function signLeapOcrR2(secret: string, body: Buffer | string): string {
  return hmacHex(secret, body);
}

/** X-DocExtract-Signature: lowercase hex HMAC of the raw body, no prefix. */
export function signDocExtract(secret: string, body: Buffer | string): string {
  return hmacHex(secret, body);
}

/**
 * JSON with object keys sorted at every depth and no whitespace, as OCRQueen serialises its envelope. Written
 * out by hand because a rebuilt object would put integer-like keys first, whatever the sort said.
 */
export function sortedJson(value: unknown): string {
  return serialise(value) ?? 'null';
}

function serialise(value: unknown): string | undefined {
  const plain = hasToJson(value) ? value.toJSON() : value;
  if (Array.isArray(plain)) return `[${plain.map((v) => serialise(v) ?? 'null').join(',')}]`;
  if (typeof plain !== 'object' || plain === null) return JSON.stringify(plain);
  const members = Object.keys(plain)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((k) => {
      const v = serialise((plain as Record<string, unknown>)[k]);
      return v === undefined ? [] : [`${JSON.stringify(k)}:${v}`];
    });
  return `{${members.join(',')}}`;
}

function hasToJson(value: unknown): value is { toJSON: () => unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
