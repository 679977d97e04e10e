import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SCHEMES, checkSecret, verifySignature } from '../../src/signature/index.js';
import { OCRQUEEN, STANDARD_WEBHOOKS } from './vectors.js';

const thrown = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('checkSecret (startup checks)', () => {
  it.each(SCHEMES)('%s: empty, blank, missing or whsec_ alone is refused with a fix naming the source', (scheme) => {
    for (const secret of [undefined, '', '   ', '\n', 'whsec_', 'whsec_\n', '  whsec_  ']) {
      const err = thrown(() => checkSecret(secret, scheme, 'OCRQ_WEBHOOK_SECRET'));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('OCRQ_WEBHOOK_SECRET');
      expect(err.fix).toBeTruthy();
    }
  });

  it('standard-webhooks: the key after whsec_ must be base64', () => {
    for (const secret of ['whsec_!!!not-base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS', 'whsec_a', 'whsec_ab=c']) {
      const err = thrown(() => checkSecret(secret, 'standard-webhooks', '--secret'));
      expect(`${err.message} ${err.fix}`).not.toContain(secret);
    }
    expect(checkSecret(STANDARD_WEBHOOKS.secret, 'standard-webhooks', '--secret')).toEqual({ secret: STANDARD_WEBHOOKS.secret });
    // The other schemes use the string as it is: whsec_… is an ordinary OCRQueen secret.
    expect(checkSecret('whsec_!!!not-base64', 'hmac-sha256-hex', '--secret')).toEqual({ secret: 'whsec_!!!not-base64' });
  });

  it('a trailing newline (a secret read from a file) is trimmed with a notice that does not show the secret', () => {
    const r = checkSecret(`${OCRQUEEN.secret}\n`, 'hmac-sha256-hex', 'providers.ocrqueen.webhook_secret');
    expect(r.secret).toBe(OCRQUEEN.secret);
    expect(r.notice).toContain('providers.ocrqueen.webhook_secret');
    expect(r.notice).not.toContain(OCRQUEEN.secret);
    const sw = checkSecret(`${STANDARD_WEBHOOKS.secret} \r\n`, 'standard-webhooks', 'x');
    expect(sw.secret).toBe(STANDARD_WEBHOOKS.secret);
    expect(sw.notice).toBeTruthy();
  });

  it('a secret longer than any real one is refused', () => {
    thrown(() => checkSecret('s'.repeat(5000), 'hmac-sha256-hex', '--secret'));
  });

  it('verifySignature refuses to sign with an empty key rather than accept forgeries', () => {
    const headers = { 'ocrqueen-signature': OCRQUEEN.hex };
    thrown(() => verifySignature({ scheme: 'hmac-sha256-hex', secret: '', body: OCRQUEEN.body, headers }));
    thrown(() => verifySignature({ scheme: 'standard-webhooks', secret: 'whsec_', body: OCRQUEEN.body, headers }));
    thrown(() => verifySignature({ scheme: 'standard-webhooks', secret: 'whsec_%%%', body: OCRQUEEN.body, headers }));
  });

  it('verifySignature refuses a tolerance or clock that is not a number (NaN would pass every timestamp)', () => {
    const input = { scheme: 'stripe', secret: 's', body: OCRQUEEN.body, headers: {} } as const;
    expect(() => verifySignature({ ...input, toleranceSeconds: Number.NaN })).toThrow();
    expect(() => verifySignature({ ...input, toleranceSeconds: -1 })).toThrow();
    expect(() => verifySignature({ ...input, nowSeconds: Number.NaN })).toThrow();
  });
});
