import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/providers/registry.js';
import { PROVIDER_SIGNING, providerFromHeaders } from '../../src/providers/signing.js';

describe('PROVIDER_SIGNING', () => {
  it('covers every provider; qomplement and process-job sign nothing', () => {
    expect(Object.keys(PROVIDER_SIGNING).sort()).toEqual([...PROVIDERS].sort());
    expect(PROVIDER_SIGNING.qomplement).toBeNull();
    expect(PROVIDER_SIGNING['process-job']).toBeNull();
    expect(PROVIDER_SIGNING.ocrqueen?.schemes).toEqual([{ scheme: 'hmac-sha256-hex', signatureHeader: 'ocrqueen-signature' }]);
    expect(PROVIDER_SIGNING.docextract?.schemes).toEqual([{ scheme: 'hmac-sha256-hex', signatureHeader: 'x-docextract-signature' }]);
  });

  it('uses lower-case header names, as Node gives them', () => {
    for (const signing of Object.values(PROVIDER_SIGNING)) {
      for (const entry of signing?.schemes ?? []) {
        expect(entry.signatureHeader).toBe(entry.signatureHeader.toLowerCase());
        expect(entry.timestampHeader ?? '').toBe((entry.timestampHeader ?? '').toLowerCase());
      }
    }
  });
});

describe('providerFromHeaders', () => {
  it.each([
    [{ 'ocrqueen-signature': 'x' }, 'ocrqueen'],
    [{ 'OCRQueen-Signature': 'x' }, 'ocrqueen'],
    [{ 'x-docextract-signature': '' }, 'docextract'],
    [{ 'x-webhook-signature': 'x', 'x-webhook-timestamp': '1' }, 'leapocr'],
    [{ 'x-r2-signature': 'x' }, 'leapocr'],
    [{ 'x-webhook-signature': 'x', 'x-r2-signature': 'y' }, 'leapocr'],
    [{ 'ocrqueen-signature': 'x', 'x-docextract-signature': 'y' }, null],
    [{ 'content-type': 'application/json' }, null],
    [{ 'ocrqueen-signature': undefined }, null],
    [{}, null],
  ])('%j → %s', (headers, provider) => {
    expect(providerFromHeaders(headers)).toBe(provider);
  });
});
