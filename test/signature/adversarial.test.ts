import { describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/providers/registry.js';
import { SCHEMES, verifySignature, type VerifyInput } from '../../src/signature/index.js';
import { verifyProviderDelivery } from '../../src/providers/signing.js';
import { DOCEXTRACT, LEAPOCR, OCRQUEEN, STANDARD_WEBHOOKS } from './vectors.js';

/** Hostile signed deliveries: each case against each signing provider, through the same call `ocrq listen` makes. */
interface Delivery {
  provider: ProviderName;
  secret: string;
  body: Buffer;
  header: string;
  hex: string;
  extra: Record<string, string>;
}
const DELIVERIES: Delivery[] = [
  { provider: 'ocrqueen', secret: OCRQUEEN.secret, body: OCRQUEEN.body, header: OCRQUEEN.header, hex: OCRQUEEN.hex, extra: {} },
  { provider: 'docextract', secret: DOCEXTRACT.secret, body: DOCEXTRACT.body, header: DOCEXTRACT.header, hex: DOCEXTRACT.hex, extra: {} },
  {
    provider: 'leapocr',
    secret: LEAPOCR.secret,
    body: LEAPOCR.body,
    header: 'x-webhook-signature',
    hex: LEAPOCR.timestampedHex,
    extra: { 'x-webhook-timestamp': LEAPOCR.timestamp },
  },
  { provider: 'leapocr', secret: LEAPOCR.secret, body: LEAPOCR.body, header: 'x-r2-signature', hex: LEAPOCR.bodyHex, extra: {} },
];

/** A well-formed digest that is not the right one. */
const flip = (hex: string) => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');

const HEADER_CASES: Array<[string, (hex: string) => string | string[] | undefined, boolean, string?]> = [
  ['the right digest', (h) => h, true],
  ['the right digest in uppercase', (h) => h.toUpperCase(), true],
  ['the right digest in mixed case', (h) => h.slice(0, 32).toUpperCase() + h.slice(32), true],
  ['a one-element array', (h) => [h], true],
  ['a flipped digest', flip, false, 'wrong signature'],
  ['63 hex chars', (h) => h.slice(0, 63), false, 'malformed header'],
  ['8 hex chars', (h) => h.slice(0, 8), false, 'malformed header'],
  ['an empty value', () => '', false, 'malformed header'],
  ['sha256= alone', () => 'sha256=', false, 'malformed header'],
  ['64 hex plus zz', (h) => `${h}zz`, false, 'malformed header'],
  ['a 0x prefix', (h) => `0x${h}`, false, 'malformed header'],
  ['an odd length (65)', (h) => `${h}a`, false, 'malformed header'],
  ['a valid prefix then garbage', (h) => `${h.slice(0, 32)}${'g'.repeat(32)}`, false, 'malformed header'],
  ['a valid prefix then non-ASCII', (h) => `${h.slice(0, 62)}é1`, false, 'malformed header'],
  ['doubled: good, bad', (h) => `${h}, ${flip(h)}`, false, 'malformed header'],
  ['doubled: bad, good', (h) => `${flip(h)}, ${h}`, false, 'malformed header'],
  ['doubled: good, good', (h) => `${h}, ${h}`, false, 'malformed header'],
  ['two header lines as an array', (h) => [h, flip(h)], false, 'malformed header'],
  ['surrounding spaces', (h) => ` ${h} `, false, 'malformed header'],
  ['base64 of the digest', (h) => Buffer.from(h, 'hex').toString('base64'), false, 'malformed header'],
  ['the header missing', () => undefined, false, 'missing header'],
];

describe.each(DELIVERIES)('$provider signature in $header', (d) => {
  const deliver = (value: string | string[] | undefined, body = d.body, secret = d.secret) =>
    verifyProviderDelivery(d.provider, secret, body, { ...d.extra, [d.header]: value });

  it.each(HEADER_CASES)('%s', (_, make, valid, reason) => {
    let result: ReturnType<typeof deliver> | undefined;
    expect(() => (result = deliver(make(d.hex)))).not.toThrow();
    expect(result?.valid).toBe(valid);
    if (reason) expect(result).toMatchObject({ reason });
  });

  it('rejects the wrong secret', () => {
    expect(deliver(d.hex, d.body, `${d.secret}x`)).toMatchObject({ valid: false, reason: 'wrong signature' });
  });

  it('rejects a re-serialised body (spacing, key order, trailing newline)', () => {
    const parsed = JSON.parse(d.body.toString('utf8')) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(parsed).reverse());
    for (const text of [JSON.stringify(parsed, null, 2), JSON.stringify(reordered), `${d.body.toString('utf8')}\n`]) {
      expect(deliver(d.hex, Buffer.from(text))).toMatchObject({ valid: false, reason: 'wrong signature' });
    }
  });

  it('rejects one flipped byte of the body', () => {
    for (const at of [0, Math.floor(d.body.length / 2), d.body.length - 1]) {
      const body = Buffer.from(d.body);
      body[at] ^= 0x01;
      expect(deliver(d.hex, body)).toMatchObject({ valid: false, reason: 'wrong signature' });
    }
  });
});

describe("one provider's secret never validates another provider's header", () => {
  it('DocExtract body signed with the OCRQueen secret, sent in X-DocExtract-Signature', () => {
    const headers = { [DOCEXTRACT.header]: DOCEXTRACT.hexWithOcrqueenSecret };
    expect(verifyProviderDelivery('docextract', DOCEXTRACT.secret, DOCEXTRACT.body, headers)).toMatchObject({ reason: 'wrong signature' });
    // Verified as OCRQueen, the same bytes are not even looked at: OCRQueen's header is absent.
    expect(verifyProviderDelivery('ocrqueen', OCRQUEEN.secret, DOCEXTRACT.body, headers)).toMatchObject({ reason: 'missing header' });
  });

  it('a valid OCRQueen signature moved into X-DocExtract-Signature', () => {
    const headers = { [DOCEXTRACT.header]: OCRQUEEN.hex };
    expect(verifyProviderDelivery('docextract', DOCEXTRACT.secret, OCRQUEEN.body, headers)).toMatchObject({ reason: 'wrong signature' });
    expect(verifyProviderDelivery('ocrqueen', OCRQUEEN.secret, OCRQUEEN.body, headers)).toMatchObject({ reason: 'missing header' });
  });

  it('a valid DocExtract signature in OCRQueen-Signature with both headers present', () => {
    const headers = { [OCRQUEEN.header]: DOCEXTRACT.hex, [DOCEXTRACT.header]: DOCEXTRACT.hex };
    expect(verifyProviderDelivery('ocrqueen', OCRQUEEN.secret, DOCEXTRACT.body, headers)).toMatchObject({ reason: 'wrong signature' });
  });

  it('providers that sign nothing never verify', () => {
    for (const provider of ['qomplement', 'process-job'] as const) {
      expect(verifyProviderDelivery(provider, 's', OCRQUEEN.body, { [OCRQUEEN.header]: OCRQUEEN.hex })).toMatchObject({ valid: false });
    }
  });
});

describe('LeapOCR: no downgrade between its two schemes', () => {
  const deliver = (headers: Record<string, string>) => verifyProviderDelivery('leapocr', LEAPOCR.secret, LEAPOCR.body, headers);
  it('with X-Webhook-Timestamp present, only timestamp.body is accepted in X-Webhook-Signature', () => {
    expect(deliver({ 'x-webhook-signature': LEAPOCR.bodyHex, 'x-webhook-timestamp': LEAPOCR.timestamp })).toMatchObject({ reason: 'wrong signature' });
    expect(deliver({ 'x-webhook-signature': LEAPOCR.timestampedHex, 'x-webhook-timestamp': '' })).toMatchObject({ reason: 'malformed timestamp' });
    expect(deliver({ 'x-webhook-signature': LEAPOCR.timestampedHex, 'x-webhook-timestamp': '1704067201' })).toMatchObject({ reason: 'wrong signature' });
    expect(deliver({ 'x-webhook-signature': LEAPOCR.timestampedHex, 'x-webhook-timestamp': '1704067200.5' })).toMatchObject({ reason: 'malformed timestamp' });
  });

  it('X-R2-Signature is over the body alone', () => {
    expect(deliver({ 'x-r2-signature': LEAPOCR.timestampedHex, 'x-webhook-timestamp': LEAPOCR.timestamp })).toMatchObject({ reason: 'wrong signature' });
  });

  it('the timestamped scheme alone requires its timestamp header', () => {
    const r = verifySignature({ scheme: 'hmac-sha256-hex-timestamped', secret: LEAPOCR.secret, body: LEAPOCR.body, headers: { 'x-webhook-signature': LEAPOCR.timestampedHex } });
    expect(r).toMatchObject({ reason: 'missing header' });
  });

  it('neither header → missing header naming both', () => {
    const r = deliver({});
    expect(r).toMatchObject({ reason: 'missing header' });
    if (!r.valid) expect(r.detail).toMatch(/x-webhook-signature.*x-r2-signature/);
  });
});

describe('fuzz: random header values never throw and never verify', () => {
  /** mulberry32: reproducible runs. */
  function rng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = rng(20260514);
  const pieces = [
    ...'0123456789abcdefABCDEFxyz+/=_-., \t;:é\u0000\u00ff\ud83d',
    'sha256=',
    'v1,',
    'v2,',
    't=',
    'v1=',
    ', ',
    OCRQUEEN.hex,
    OCRQUEEN.hex.slice(0, 63),
    STANDARD_WEBHOOKS.signature,
    '1614265330',
    '-1',
    '1.5e9',
  ];
  const randomString = () => {
    let s = '';
    const n = Math.floor(random() * 12);
    for (let i = 0; i < n; i++) s += pieces[Math.floor(random() * pieces.length)];
    return s;
  };
  const randomValue = (): string | string[] | undefined => {
    const roll = random();
    if (roll < 0.05) return undefined;
    if (roll < 0.1) return [randomString(), randomString()];
    return randomString();
  };

  it('2,000 random deliveries, every scheme and provider', () => {
    const names = ['ocrqueen-signature', 'x-docextract-signature', 'x-webhook-signature', 'x-webhook-timestamp', 'x-r2-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'stripe-signature'];
    for (let i = 0; i < 2000; i++) {
      const headers: VerifyInput['headers'] = Object.fromEntries(names.map((name) => [name, randomValue()]));
      const body = Buffer.from(randomString());
      for (const scheme of SCHEMES) {
        const secret = scheme === 'standard-webhooks' ? STANDARD_WEBHOOKS.secret : OCRQUEEN.secret;
        const r = verifySignature({ scheme, secret, body, headers, nowSeconds: 1614265330 });
        expect(r.valid, `${scheme} ${JSON.stringify(headers)}`).toBe(false);
      }
      for (const provider of ['ocrqueen', 'docextract', 'leapocr'] as const) {
        expect(verifyProviderDelivery(provider, OCRQUEEN.secret, body, headers).valid).toBe(false);
      }
    }
  });
});
