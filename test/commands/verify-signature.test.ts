import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, verifySignatureCommand, type VerifySignatureOptions } from '../../src/commands/verify-signature/index.js';
import { UsageError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir } from '../helpers/tmp.js';
import { BASE64, DOCEXTRACT, GITHUB, LEAPOCR, OCRQUEEN, STANDARD_WEBHOOKS, STRIPE } from '../signature/vectors.js';

const SW = STANDARD_WEBHOOKS;

/** Runs the command with `body` in body.bin (or on stdin) and a clock at `nowSeconds`. */
async function verify(options: Partial<VerifySignatureOptions>, body: Buffer | null, extra: { nowSeconds?: number; env?: NodeJS.ProcessEnv; stdin?: Readable } = {}) {
  const dir = await makeTempDir();
  let file = options.file;
  if (body && file === undefined && !extra.stdin) {
    await fs.writeFile(path.join(dir, 'body.bin'), body);
    file = 'body.bin';
  }
  const io = captureIo(dir, {
    env: extra.env ?? {},
    now: () => (extra.nowSeconds ?? 1_700_000_000) * 1000,
    ...(extra.stdin ? { stdin: extra.stdin } : {}),
  });
  const result = await verifySignatureCommand({ headers: [], ...options, file }, io.deps);
  return { result, stdout: io.stdout(), stderr: io.stderr(), io, dir };
}

async function usageError(promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).exitCode).toBe(2);
  return err as UsageError;
}

describe('verify-signature: valid deliveries print "valid" and exit 0', () => {
  it.each<[string, Partial<VerifySignatureOptions>, Buffer, number?]>([
    ['OCRQueen header', { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: sha256=${OCRQUEEN.hex}`] }, OCRQUEEN.body],
    ['OCRQueen header, uppercase hex', { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex.toUpperCase()}`] }, OCRQUEEN.body],
    ['DocExtract via --provider and --signature', { secret: DOCEXTRACT.secret, provider: 'docextract', signature: DOCEXTRACT.hex }, DOCEXTRACT.body],
    ['DocExtract header', { secret: DOCEXTRACT.secret, headers: [`X-DocExtract-Signature: ${DOCEXTRACT.hex}`] }, DOCEXTRACT.body],
    ['bare --signature is hmac-sha256-hex (GitHub example)', { secret: GITHUB.secret, signature: GITHUB.hex }, GITHUB.body],
    ['--scheme hex with an unknown header', { secret: GITHUB.secret, scheme: 'hmac-sha256-hex', headers: [`X-Hub-Signature-256: sha256=${GITHUB.hex}`] }, GITHUB.body],
    [
      'LeapOCR timestamped, inferred from X-Webhook-Timestamp',
      { secret: LEAPOCR.secret, headers: [`X-Webhook-Signature: ${LEAPOCR.timestampedHex}`, `X-Webhook-Timestamp: ${LEAPOCR.timestamp}`] },
      LEAPOCR.body,
    ],
    ['LeapOCR X-R2-Signature', { secret: LEAPOCR.secret, headers: [`X-R2-Signature: ${LEAPOCR.bodyHex}`] }, LEAPOCR.body],
    ['LeapOCR --provider, --signature and timestamp header', { secret: LEAPOCR.secret, provider: 'leapocr', signature: LEAPOCR.timestampedHex, headers: [`X-Webhook-Timestamp: ${LEAPOCR.timestamp}`] }, LEAPOCR.body],
    [
      'Standard Webhooks headers',
      { secret: SW.secret, headers: [`webhook-id: ${SW.id}`, `webhook-timestamp: ${SW.timestamp}`, `webhook-signature: ${SW.otherSignature} ${SW.signature}`] },
      SW.body,
      SW.timestamp,
    ],
    [
      'Standard Webhooks with --signature',
      { secret: SW.secret, scheme: 'standard-webhooks', signature: SW.signature, headers: [`Webhook-Id: ${SW.id}`, `Webhook-Timestamp: ${SW.timestamp}`] },
      SW.body,
      SW.timestamp + 299,
    ],
    [
      'Svix headers (the same scheme under svix-* names)',
      { secret: SW.secret, headers: [`svix-id: ${SW.id}`, `svix-timestamp: ${SW.timestamp}`, `svix-signature: ${SW.otherSignature} ${SW.signature}`] },
      SW.body,
      SW.timestamp,
    ],
    [
      'Svix headers with --signature',
      { secret: SW.secret, scheme: 'standard-webhooks', signature: SW.signature, headers: [`Svix-Id: ${SW.id}`, `Svix-Timestamp: ${SW.timestamp}`] },
      SW.body,
      SW.timestamp,
    ],
    ['Stripe header', { secret: STRIPE.secret, headers: [`Stripe-Signature: t=${STRIPE.t},v1=${STRIPE.v1}`] }, STRIPE.body, STRIPE.t],
    ['base64 via --scheme and --signature', { secret: BASE64.secret, scheme: 'hmac-sha256-base64', signature: BASE64.signature }, BASE64.body],
  ])('%s', async (_, options, body, nowSeconds) => {
    const run = await verify(options, body, { nowSeconds });
    expect(run.result).toEqual({ exitCode: 0, summary: { valid: true } });
    expect(run.stdout).toBe('valid\n');
  });

  it('reads the body from stdin (no FILE, or -) and the secret from OCRQ_WEBHOOK_SECRET', async () => {
    for (const file of [undefined, '-']) {
      const stdin = Readable.from([OCRQUEEN.body.subarray(0, 10), OCRQUEEN.body.subarray(10)]);
      const run = await verify({ file, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] }, null, { stdin, env: { OCRQ_WEBHOOK_SECRET: OCRQUEEN.secret } });
      expect(run.result.exitCode).toBe(0);
      expect(run.stdout).toBe('valid\n');
    }
  });

  it('trims a trailing newline from the secret, with a notice on stderr', async () => {
    const run = await verify({ headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] }, OCRQUEEN.body, { env: { OCRQ_WEBHOOK_SECRET: `${OCRQUEEN.secret}\n` } });
    expect(run.result.exitCode).toBe(0);
    expect(run.stderr).toMatch(/whitespace.*OCRQ_WEBHOOK_SECRET/);
    expect(run.stderr).not.toContain(OCRQUEEN.secret);
  });

  it('--tolerance widens the window', async () => {
    const headers = [`Stripe-Signature: t=${STRIPE.t},v1=${STRIPE.v1}`];
    const stale = await verify({ secret: STRIPE.secret, headers }, STRIPE.body, { nowSeconds: STRIPE.t + 301 });
    expect(stale.result).toEqual({ exitCode: 6, summary: { valid: false, reason: 'stale timestamp' } });
    const wide = await verify({ secret: STRIPE.secret, headers, toleranceSeconds: 400 }, STRIPE.body, { nowSeconds: STRIPE.t + 301 });
    expect(wide.result.exitCode).toBe(0);
  });
});

describe('verify-signature: invalid deliveries print "invalid: <reason>" and exit 6', () => {
  it.each<[string, Partial<VerifySignatureOptions>, Buffer, string, number?]>([
    ['wrong secret', { secret: 'not-the-secret', headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] }, OCRQUEEN.body, 'wrong signature'],
    ['flipped body byte', { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] }, Buffer.from(OCRQUEEN.body.toString().replace('locked', 'lockee')), 'wrong signature'],
    ['empty --signature', { secret: GITHUB.secret, signature: '' }, GITHUB.body, 'malformed header'],
    ['truncated signature', { secret: GITHUB.secret, signature: GITHUB.hex.slice(0, 63) }, GITHUB.body, 'malformed header'],
    ['empty header value', { secret: OCRQUEEN.secret, headers: ['OCRQueen-Signature:'] }, OCRQUEEN.body, 'malformed header'],
    [
      'a header given twice, good then bad',
      { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`, `OCRQueen-Signature: ${'0'.repeat(64)}`] },
      OCRQUEEN.body,
      'malformed header',
    ],
    ['signed with another provider\'s secret', { secret: DOCEXTRACT.secret, headers: [`X-DocExtract-Signature: ${DOCEXTRACT.hexWithOcrqueenSecret}`] }, DOCEXTRACT.body, 'wrong signature'],
    ['--provider whose header is absent', { secret: OCRQUEEN.secret, provider: 'ocrqueen', headers: [`X-DocExtract-Signature: ${OCRQUEEN.hex}`] }, OCRQUEEN.body, 'missing header'],
    [
      'Standard Webhooks, 301 s late',
      { secret: SW.secret, headers: [`webhook-id: ${SW.id}`, `webhook-timestamp: ${SW.timestamp}`, `webhook-signature: ${SW.signature}`] },
      SW.body,
      'stale timestamp',
      SW.timestamp + 301,
    ],
    [
      'Standard Webhooks, timestamp 1.5e9',
      { secret: SW.secret, headers: [`webhook-id: ${SW.id}`, 'webhook-timestamp: 1.5e9', `webhook-signature: ${SW.signature}`] },
      SW.body,
      'malformed timestamp',
      SW.timestamp,
    ],
    ['Standard Webhooks, no webhook-id', { secret: SW.secret, headers: [`webhook-timestamp: ${SW.timestamp}`, `webhook-signature: ${SW.signature}`] }, SW.body, 'missing header', SW.timestamp],
    ['Svix, no svix-id', { secret: SW.secret, headers: [`svix-timestamp: ${SW.timestamp}`, `svix-signature: ${SW.signature}`] }, SW.body, 'missing header', SW.timestamp],
    [
      'Svix, 301 s late',
      { secret: SW.secret, headers: [`svix-id: ${SW.id}`, `svix-timestamp: ${SW.timestamp}`, `svix-signature: ${SW.signature}`] },
      SW.body,
      'stale timestamp',
      SW.timestamp + 301,
    ],
  ])('%s', async (_, options, body, reason, nowSeconds) => {
    const run = await verify(options, body, { nowSeconds });
    expect(run.result).toEqual({ exitCode: 6, summary: { valid: false, reason } });
    expect(run.stdout).toBe(`invalid: ${reason}\n`);
    expect(run.stderr).toMatch(/^ocrq: .+\n$/);
    for (const secret of [options.secret ?? '']) expect(run.stdout + run.stderr).not.toContain(secret);
    for (const sig of [OCRQUEEN.hex, DOCEXTRACT.hexWithOcrqueenSecret, GITHUB.hex.slice(0, 16), SW.signature.slice(3, 20)]) {
      expect(run.stdout + run.stderr).not.toContain(sig);
    }
  });
});

describe('verify-signature: usage errors (exit 2)', () => {
  it('no secret: neither --secret nor OCRQ_WEBHOOK_SECRET, or an empty one', async () => {
    const headers = [`OCRQueen-Signature: ${OCRQUEEN.hex}`];
    const err = await usageError(verify({ headers }, OCRQUEEN.body));
    expect(err.fix).toContain('OCRQ_WEBHOOK_SECRET');
    await usageError(verify({ headers, secret: '' }, OCRQUEEN.body));
    await usageError(verify({ headers }, OCRQUEEN.body, { env: { OCRQ_WEBHOOK_SECRET: '  ' } }));
    await usageError(verify({ headers, secret: 'whsec_' }, OCRQUEEN.body));
    await usageError(verify({ headers: [`webhook-id: a`, `webhook-timestamp: 1`, `webhook-signature: ${SW.signature}`], secret: 'whsec_***' }, SW.body));
  });

  it('no body: empty stdin, empty file, missing file, a directory, a terminal', async () => {
    const options = { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] };
    await usageError(verify(options, null, { stdin: Readable.from([]) }));
    await usageError(verify(options, Buffer.alloc(0)));
    const missing = await usageError(verify({ ...options, file: 'nope.json' }, null));
    expect(missing.message).toContain('no such file');
    await usageError(verify({ ...options, file: '.' }, null));
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    await usageError(verify(options, null, { stdin: tty }));
  });

  it('a body larger than ocrq listen accepts', async () => {
    const options = { secret: OCRQUEEN.secret, headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] };
    await usageError(verify(options, Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)));
    await usageError(verify(options, null, { stdin: Readable.from([Buffer.alloc(MAX_BODY_BYTES), Buffer.from('x')]) }));
  });

  it('neither --signature nor any --header', async () => {
    const err = await usageError(verify({ secret: 's' }, OCRQUEEN.body));
    expect(err.fix).toMatch(/--signature.*--header/);
  });

  it('headers that name no known signature, without --scheme', async () => {
    await usageError(verify({ secret: 's', headers: ['X-Something: abc'] }, OCRQUEEN.body));
  });

  it('headers of two providers at once', async () => {
    await usageError(verify({ secret: 's', headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`, `X-DocExtract-Signature: ${OCRQUEEN.hex}`] }, OCRQUEEN.body));
  });

  it('conflicting or unknown selectors', async () => {
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, provider: 'ocrqueen', scheme: 'hmac-sha256-hex' }, OCRQUEEN.body));
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, provider: 'qomplement' }, OCRQUEEN.body));
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, scheme: 'md5' as never }, OCRQUEEN.body));
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, provider: 'acme' as never }, OCRQUEEN.body));
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, toleranceSeconds: Number.NaN }, OCRQUEEN.body));
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, toleranceSeconds: -5 }, OCRQUEEN.body));
  });

  it('the signature given both as --signature and as --header', async () => {
    await usageError(verify({ secret: 's', signature: OCRQUEEN.hex, provider: 'ocrqueen', headers: [`OCRQueen-Signature: ${OCRQUEEN.hex}`] }, OCRQUEEN.body));
  });

  it('a malformed --header is refused without echoing it', async () => {
    for (const header of [OCRQUEEN.hex, `: ${OCRQUEEN.hex}`, `Bad Name: ${OCRQUEEN.hex}`]) {
      const err = await usageError(verify({ secret: 's', headers: [header] }, OCRQUEEN.body));
      expect(`${err.message} ${err.fix}`).not.toContain(OCRQUEEN.hex);
    }
  });
});

describe('verify-signature: interruption', () => {
  it('stops reading a stdin that never ends when the run is interrupted', async () => {
    const dir = await makeTempDir();
    const stdin = new PassThrough();
    stdin.write('{"partial":');
    const io = captureIo(dir, { env: {}, stdin });
    const pending = verifySignatureCommand({ secret: 's', signature: OCRQUEEN.hex, headers: [] }, io.deps);
    setTimeout(() => io.abort('SIGINT'), 20);
    expect(await pending).toEqual({ exitCode: 130, summary: { valid: false, reason: 'interrupted' } });
    expect(io.stdout()).toBe('');
  });
});
