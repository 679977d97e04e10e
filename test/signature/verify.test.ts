import { describe, expect, it } from 'vitest';
import { verifySignature, type VerifyInput } from '../../src/signature/index.js';
import { verifyProviderDelivery } from '../../src/providers/signing.js';
import { BASE64, DOCEXTRACT, GITHUB, LEAPOCR, OCRQUEEN, RAW_BYTES, STANDARD_WEBHOOKS, STRIPE } from './vectors.js';

const SW = STANDARD_WEBHOOKS;
const swHeaders = (over: Record<string, string | undefined> = {}) => ({
  'webhook-id': SW.id,
  'webhook-timestamp': String(SW.timestamp),
  'webhook-signature': SW.signature,
  ...over,
});
const sw = (headers: VerifyInput['headers'], over: Partial<VerifyInput> = {}) =>
  verifySignature({ scheme: 'standard-webhooks', secret: SW.secret, body: SW.body, headers, nowSeconds: SW.timestamp, ...over });
const stripe = (header: string | undefined, over: Partial<VerifyInput> = {}) =>
  verifySignature({ scheme: 'stripe', secret: STRIPE.secret, body: STRIPE.body, headers: { 'stripe-signature': header }, nowSeconds: STRIPE.t, ...over });

describe('known-answer vectors', () => {
  it('OCRQueen: whsec_test used as a UTF-8 key, sha256= prefix', () => {
    const headers = { [OCRQUEEN.header]: `sha256=${OCRQUEEN.hex}` };
    expect(verifyProviderDelivery('ocrqueen', OCRQUEEN.secret, OCRQUEEN.body, headers)).toEqual({ valid: true, scheme: 'hmac-sha256-hex' });
    expect(verifySignature({ scheme: 'hmac-sha256-hex', secret: OCRQUEEN.secret, body: OCRQUEEN.body, headers })).toEqual({ valid: true, scheme: 'hmac-sha256-hex' });
  });

  it('DocExtract: bare lowercase hex', () => {
    const headers = { [DOCEXTRACT.header]: DOCEXTRACT.hex };
    expect(verifyProviderDelivery('docextract', DOCEXTRACT.secret, DOCEXTRACT.body, headers).valid).toBe(true);
  });

  it('LeapOCR: timestamp.body in X-Webhook-Signature, body alone in X-R2-Signature or X-Webhook-Signature without timestamp', () => {
    const far = 2_000_000_000; // no replay window is documented for LeapOCR
    const timestamped = { 'x-webhook-signature': LEAPOCR.timestampedHex, 'x-webhook-timestamp': LEAPOCR.timestamp };
    expect(verifyProviderDelivery('leapocr', LEAPOCR.secret, LEAPOCR.body, timestamped, { nowSeconds: far })).toEqual({
      valid: true,
      scheme: 'hmac-sha256-hex-timestamped',
    });
    expect(
      verifySignature({ scheme: 'hmac-sha256-hex-timestamped', secret: LEAPOCR.secret, body: LEAPOCR.body, headers: timestamped }).valid,
    ).toBe(true);
    for (const header of ['x-r2-signature', 'x-webhook-signature']) {
      expect(verifyProviderDelivery('leapocr', LEAPOCR.secret, LEAPOCR.body, { [header]: LEAPOCR.bodyHex })).toEqual({
        valid: true,
        scheme: 'hmac-sha256-hex',
      });
    }
  });

  it("GitHub's documented example", () => {
    const input = { scheme: 'hmac-sha256-hex', secret: GITHUB.secret, body: GITHUB.body, signatureHeader: 'X-Hub-Signature-256' } as const;
    expect(verifySignature({ ...input, headers: { 'x-hub-signature-256': `sha256=${GITHUB.hex}` } }).valid).toBe(true);
    expect(verifySignature({ ...input, headers: { 'x-hub-signature-256': GITHUB.hex.toUpperCase() } }).valid).toBe(true);
  });

  it("the Standard Webhooks library's own vector, with and without the whsec_ prefix", () => {
    expect(sw(swHeaders())).toEqual({ valid: true, scheme: 'standard-webhooks' });
    expect(sw(swHeaders(), { secret: SW.secret.slice('whsec_'.length) }).valid).toBe(true);
  });

  it('Stripe: t=…,v1=… over "<t>.<body>"', () => {
    expect(stripe(`t=${STRIPE.t},v1=${STRIPE.v1}`)).toEqual({ valid: true, scheme: 'stripe' });
  });

  it('base64 HMAC of the body', () => {
    const r = verifySignature({ scheme: 'hmac-sha256-base64', secret: BASE64.secret, body: BASE64.body, headers: { 'x-webhook-signature': BASE64.signature } });
    expect(r).toEqual({ valid: true, scheme: 'hmac-sha256-base64' });
  });

  it('BOM, CRLF and non-UTF-8 bytes are signed as raw bytes, not as decoded text', () => {
    const hex = { scheme: 'hmac-sha256-hex', secret: RAW_BYTES.hexSecret, headers: { 'ocrqueen-signature': RAW_BYTES.hex } } as const;
    expect(verifySignature({ ...hex, body: RAW_BYTES.body }).valid).toBe(true);
    // What a decode/re-encode round trip would produce: the bytes change, so the signature no longer matches.
    expect(verifySignature({ ...hex, body: Buffer.from(RAW_BYTES.body.toString('utf8')) })).toMatchObject({ valid: false, reason: 'wrong signature' });
    const headers = { 'webhook-id': RAW_BYTES.standardId, 'webhook-timestamp': String(SW.timestamp), 'webhook-signature': RAW_BYTES.standardSignature };
    expect(sw(headers, { body: RAW_BYTES.body }).valid).toBe(true);
  });
});

describe('Standard Webhooks timestamps (tolerance 300 s)', () => {
  it.each([
    ['now', SW.timestamp, true],
    ['300 s later', SW.timestamp + 300, true],
    ['300 s earlier', SW.timestamp - 300, true],
    ['301 s later', SW.timestamp + 301, false],
    ['301 s earlier (timestamp in the future)', SW.timestamp - 301, false],
  ])('checked %s', (_, now, valid) => {
    const r = sw(swHeaders(), { nowSeconds: now });
    expect(r.valid).toBe(valid);
    if (!r.valid) expect(r.reason).toBe('stale timestamp');
  });

  it('honours a custom tolerance', () => {
    expect(sw(swHeaders(), { nowSeconds: SW.timestamp + 11, toleranceSeconds: 10 })).toMatchObject({ reason: 'stale timestamp' });
    expect(sw(swHeaders(), { nowSeconds: SW.timestamp + 1000, toleranceSeconds: 1000 }).valid).toBe(true);
  });

  it.each(['hello', '-1614265330', '1.5e9', '1614265330abc', '', ' 1614265330', '0x603813f2', '１６１４２６５３３０', '1614265330\n'])(
    'timestamp %j is malformed (digits only)',
    (timestamp) => {
      expect(sw(swHeaders({ 'webhook-timestamp': timestamp }))).toMatchObject({ valid: false, reason: 'malformed timestamp' });
    },
  );

  it('a timestamp moved by 1 s with the original signature is a wrong signature', () => {
    const r = sw(swHeaders({ 'webhook-timestamp': String(SW.timestamp + 1) }), { nowSeconds: SW.timestamp + 1 });
    expect(r).toMatchObject({ valid: false, reason: 'wrong signature' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('a missing %s is a missing header', (name) => {
    expect(sw(swHeaders({ [name]: undefined }))).toMatchObject({ valid: false, reason: 'missing header' });
  });

  it('the wrong secret is a wrong signature', () => {
    expect(sw(swHeaders(), { secret: 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=' })).toMatchObject({ reason: 'wrong signature' });
  });
});

describe('Standard Webhooks signature lists (rotation)', () => {
  const good = SW.signature;
  const bad = SW.otherSignature;
  const digest = good.slice(3);
  it.each([
    ['bad then good', `${bad} ${good}`, true],
    ['good then bad', `${good} ${bad}`, true],
    ['mixed with v2, v1a and entries without a comma', `v2,${digest} v1a,${digest} nocomma ${good} ${bad}`, true],
    ['extra spaces between entries', `  ${bad}   ${good}  `, true],
    ['a Node-joined repeated header (rotation lists are part of this format)', `${bad}, ${good}`, true],
    ['only bad entries', `${bad} ${bad}`, false],
    ['the right digest under another version', `v2,${digest}`, false],
    ['the right digest with no version', digest, false],
    ['v1 with nothing after the comma', 'v1,', false],
    ['a truncated v1 digest', good.slice(0, 8), false],
    ['v1 digest of the wrong length', 'v1,dawfeoifkpqwoekfpqoekf', false],
    ['a v1 entry with a trailing comma', `${good},`, false],
    ['empty', '', false],
  ])('%s', (_, header, valid) => {
    const r = sw(swHeaders({ 'webhook-signature': header }));
    expect(r.valid).toBe(valid);
  });

  it('names the reason: no v1 entry, none well formed, none matching', () => {
    expect(sw(swHeaders({ 'webhook-signature': `v2,${digest}` }))).toMatchObject({ reason: 'malformed header' });
    expect(sw(swHeaders({ 'webhook-signature': 'v1,abc' }))).toMatchObject({ reason: 'malformed header' });
    expect(sw(swHeaders({ 'webhook-signature': bad }))).toMatchObject({ reason: 'wrong signature' });
  });
});

describe('Stripe-Signature', () => {
  const t = STRIPE.t;
  it.each([
    ['several v1 (rotation) and a v0', `t=${t},v1=${STRIPE.v1OtherSecret},v0=${STRIPE.v1},v1=${STRIPE.v1}`, true, undefined],
    ['uppercase hex', `t=${t},v1=${STRIPE.v1.toUpperCase()}`, true, undefined],
    ['only the other secret', `t=${t},v1=${STRIPE.v1OtherSecret}`, false, 'wrong signature'],
    ['no t', `v1=${STRIPE.v1}`, false, 'malformed header'],
    ['two t', `t=${t},t=${t},v1=${STRIPE.v1}`, false, 'malformed header'],
    ['no v1', `t=${t},v0=${STRIPE.v1}`, false, 'malformed header'],
    ['a truncated v1', `t=${t},v1=${STRIPE.v1.slice(0, 63)}`, false, 'malformed header'],
    ['t=hello', `t=hello,v1=${STRIPE.v1}`, false, 'malformed timestamp'],
    ['t=1.7e9', `t=1.7e9,v1=${STRIPE.v1}`, false, 'malformed timestamp'],
    ['t moved by 1 s', `t=${t + 1},v1=${STRIPE.v1}`, false, 'wrong signature'],
    ['empty', '', false, 'malformed header'],
    ['garbage', ',,,==,', false, 'malformed header'],
  ])('%s', (_, header, valid, reason) => {
    const r = stripe(header);
    expect(r.valid).toBe(valid);
    if (reason) expect(r).toMatchObject({ reason });
  });

  it('applies the tolerance', () => {
    expect(stripe(`t=${t},v1=${STRIPE.v1}`, { nowSeconds: t + 301 })).toMatchObject({ reason: 'stale timestamp' });
    expect(stripe(`t=${t},v1=${STRIPE.v1}`, { nowSeconds: t - 301 })).toMatchObject({ reason: 'stale timestamp' });
    expect(stripe(`t=${t},v1=${STRIPE.v1}`, { nowSeconds: t + 300 }).valid).toBe(true);
  });

  it('a missing header is a missing header', () => {
    expect(stripe(undefined)).toMatchObject({ reason: 'missing header' });
  });
});

describe('hmac-sha256-base64', () => {
  const check = (signature: string) =>
    verifySignature({ scheme: 'hmac-sha256-base64', secret: BASE64.secret, body: BASE64.body, headers: { 'x-webhook-signature': signature } });
  it.each([
    ['without padding', BASE64.signature.replace(/=$/, ''), true],
    ['non-canonical final character', BASE64.signature.replace('FMg=', 'FMh='), false],
    ['URL-safe alphabet', BASE64.signature.replace('/', '_').replace('+', '-'), false],
    ['one byte short', Buffer.from(BASE64.signature, 'base64').subarray(1).toString('base64'), false],
    ['hex instead of base64', Buffer.from(BASE64.signature, 'base64').toString('hex'), false],
    ['empty', '', false],
  ])('%s', (_, signature, valid) => {
    expect(check(signature).valid).toBe(valid);
  });
});

describe('input the API must tolerate', () => {
  it('finds headers whatever the case of their names, and never on the prototype', () => {
    const base = { scheme: 'hmac-sha256-hex', secret: OCRQUEEN.secret, body: OCRQUEEN.body } as const;
    expect(verifySignature({ ...base, headers: { 'OCRQueen-Signature': OCRQUEEN.hex } }).valid).toBe(true);
    expect(verifySignature({ ...base, signatureHeader: 'OCRQueen-Signature', headers: { 'ocrqueen-signature': OCRQUEEN.hex } }).valid).toBe(true);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(verifySignature({ ...base, signatureHeader: name, headers: {} })).toMatchObject({ reason: 'missing header' });
    }
    const bare = Object.assign(Object.create(null) as Record<string, string>, { 'ocrqueen-signature': OCRQUEEN.hex });
    expect(verifySignature({ ...base, headers: bare }).valid).toBe(true);
  });

  it('an array of one value is that value; of several, a malformed header', () => {
    const base = { scheme: 'hmac-sha256-hex', secret: OCRQUEEN.secret, body: OCRQUEEN.body } as const;
    expect(verifySignature({ ...base, headers: { 'ocrqueen-signature': [OCRQUEEN.hex] } }).valid).toBe(true);
    expect(verifySignature({ ...base, headers: { 'ocrqueen-signature': [OCRQUEEN.hex, OCRQUEEN.hex] } })).toMatchObject({ reason: 'malformed header' });
    expect(verifySignature({ ...base, headers: { 'ocrqueen-signature': [] } })).toMatchObject({ reason: 'missing header' });
  });

  it('detail never holds the secret or the signature', () => {
    const wrong = OCRQUEEN.hex.replace(/.$/, '0');
    const r = verifySignature({ scheme: 'hmac-sha256-hex', secret: OCRQUEEN.secret, body: OCRQUEEN.body, headers: { 'ocrqueen-signature': wrong } });
    expect(r).toMatchObject({ valid: false, reason: 'wrong signature' });
    if (!r.valid) {
      expect(r.detail).not.toContain(OCRQUEEN.secret);
      expect(r.detail).not.toContain(wrong.slice(0, 8));
      expect(r.detail).not.toContain(OCRQUEEN.hex.slice(0, 8));
    }
  });
});
