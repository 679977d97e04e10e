/**
 * How each provider signs its deliveries. A delivery is checked only against the schemes of the provider it is
 * verified for, so one provider's secret never validates another provider's header.
 */
import type { ProviderName } from '../config/keys.js';
import { hasHeader } from './headers.js';
import { verifySignature } from './verify.js';
import type { Scheme, VerifyInput, VerifyResult } from './types.js';

export interface ProviderSigning {
  schemes: Array<{ scheme: Scheme; signatureHeader: string; timestampHeader?: string }>;
}

/**
 * LeapOCR's vendor page and SDK disagree (providers/leapocr.md): X-Webhook-Signature over `<timestamp>.<body>` when
 * X-Webhook-Timestamp is sent, over the body alone otherwise, and the older X-R2-Signature over the body. An entry with
 * a timestampHeader applies only when that header is present; the first entry that applies to a header wins.
 */
export const PROVIDER_SIGNING: Record<ProviderName, ProviderSigning | null> = {
  ocrqueen: { schemes: [{ scheme: 'hmac-sha256-hex', signatureHeader: 'ocrqueen-signature' }] },
  docextract: { schemes: [{ scheme: 'hmac-sha256-hex', signatureHeader: 'x-docextract-signature' }] },
  leapocr: {
    schemes: [
      { scheme: 'hmac-sha256-hex-timestamped', signatureHeader: 'x-webhook-signature', timestampHeader: 'x-webhook-timestamp' },
      { scheme: 'hmac-sha256-hex', signatureHeader: 'x-webhook-signature' },
      { scheme: 'hmac-sha256-hex', signatureHeader: 'x-r2-signature' },
    ],
  },
  // Both sign nothing; `listen --require-header` covers them.
  qomplement: null,
  'process-job': null,
};

/** Which provider a delivery's headers point to, by signature header name; null when none or several do. */
export function providerFromHeaders(headers: VerifyInput['headers']): ProviderName | null {
  const found = (Object.keys(PROVIDER_SIGNING) as ProviderName[]).filter((provider) =>
    PROVIDER_SIGNING[provider]?.schemes.some((entry) => hasHeader(headers, entry.signatureHeader)),
  );
  return found.length === 1 ? found[0] : null;
}

/**
 * Verifies with the provider's scheme(s): valid when a signature header of that provider verifies with its secret.
 * Providers that sign nothing get `missing header`: callers authenticate them some other way.
 */
export function verifyProviderDelivery(
  provider: ProviderName,
  secret: string,
  body: Buffer,
  headers: VerifyInput['headers'],
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): VerifyResult {
  const signing = PROVIDER_SIGNING[provider];
  if (!signing) return { valid: false, reason: 'missing header', detail: `${provider} does not sign its deliveries` };
  const checked = new Set<string>();
  let firstFailure: VerifyResult | undefined;
  for (const entry of signing.schemes) {
    if (checked.has(entry.signatureHeader) || !hasHeader(headers, entry.signatureHeader)) continue;
    if (entry.timestampHeader && !hasHeader(headers, entry.timestampHeader)) continue;
    checked.add(entry.signatureHeader);
    const { scheme, signatureHeader, timestampHeader } = entry;
    // Fields named one by one: spreading `opts` into this literal made each call several times slower.
    const { nowSeconds, toleranceSeconds } = opts;
    const result = verifySignature({ scheme, secret, body, headers, signatureHeader, timestampHeader, nowSeconds, toleranceSeconds });
    if (result.valid) return result;
    firstFailure ??= result;
  }
  if (firstFailure) return firstFailure;
  const names = [...new Set(signing.schemes.map((entry) => entry.signatureHeader))];
  return { valid: false, reason: 'missing header', detail: `no ${names.join(' or ')} header` };
}
