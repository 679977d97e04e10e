/**
 * Checks a delivery against the signature schemes of the provider it is verified for (each provider declares them in
 * `src/providers/<name>/index.ts`), so one provider's secret never validates another provider's header.
 */
import { PROVIDER_REGISTRY, PROVIDERS, type ProviderName } from './registry.js';
import type { ProviderSigning } from './common/types.js';
import { hasHeader } from '../signature/headers.js';
import { verifySignature } from '../signature/verify.js';
import type { VerifyInput, VerifyResult } from '../signature/types.js';

export type { ProviderSigning } from './common/types.js';

/**
 * Every provider's signing, null for those that sign nothing. An entry with a timestampHeader applies only when that
 * header is present; the first entry that applies to a header wins.
 */
export const PROVIDER_SIGNING = Object.fromEntries(PROVIDERS.map((name) => [name, PROVIDER_REGISTRY[name].signing])) as Record<
  ProviderName,
  ProviderSigning | null
>;

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
