/**
 * `ocrq verify-signature`: checks one delivery's signature offline with the same code as `ocrq listen`. stdout gets
 * `valid` or `invalid: <reason>`; the detail goes to stderr. The secret and the signature are never printed.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { PROVIDER_REGISTRY, PROVIDERS, isProviderName, type ProviderName } from '../../providers/registry.js';
import { ConfigError, ExitCode, UsageError } from '../../errors.js';
import { exitCodeForStop, signalStop } from '../../exit-code.js';
import { warnTo, writeToStream } from '../../manifest/write-stream.js';
import {
  DEFAULT_SIGNATURE_HEADER,
  DEFAULT_TIMESTAMP_HEADER,
  SCHEMES,
  checkSecret,
  isScheme,
  verifySignature,
  type Scheme,
  type VerifyResult,
} from '../../signature/index.js';
import { verifyProviderDelivery } from '../../providers/signing.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { VerifySignatureOptions } from './options.js';

export type { VerifySignatureOptions } from './options.js';

/** Whether the signature is valid, and why not. */
export interface VerifySignatureSummary {
  valid: boolean;
  reason?: string;
}

export const WEBHOOK_SECRET_ENV = 'OCRQ_WEBHOOK_SECRET';
/** The most `ocrq listen` accepts (it answers 413 above it), so no body that could verify is refused here. */
export const MAX_BODY_BYTES = 10_485_760;
/** GitHub's signature header: not a provider's, but a common place for a bare hex signature. */
const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
/**
 * Headers holding a bare hex or base64 signature, tried in this order when --scheme alone does not name one: the
 * providers' signature headers, those of providers with a single one first (the header alone says whose it is),
 * then GitHub's.
 */
const KNOWN_SIGNATURE_HEADERS = [
  ...PROVIDERS.map((p) => [...new Set(PROVIDER_REGISTRY[p].signing?.schemes.map((entry) => entry.signatureHeader))])
    .filter((headers) => headers.length > 0)
    .sort((a, b) => a.length - b.length)
    .flat(),
  GITHUB_SIGNATURE_HEADER,
];
/** RFC 9110 token: what Node accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Plan = { kind: 'scheme'; scheme: Scheme; signatureHeader: string } | { kind: 'provider'; provider: ProviderName };
type Headers = Record<string, string>;

export async function verifySignatureCommand(options: VerifySignatureOptions, deps: CommandDeps): Promise<CommandResult<VerifySignatureSummary>> {
  const fromFlag = options.secret !== undefined;
  const rawSecret = fromFlag ? options.secret : deps.env[WEBHOOK_SECRET_ENV];
  if (rawSecret === undefined || rawSecret.trim() === '') {
    throw new UsageError('no webhook secret given', `pass --secret S or set ${WEBHOOK_SECRET_ENV}`);
  }
  checkSelectors(options);
  const headers = parseHeaders(options.headers ?? []);
  if (options.signature === undefined && Object.keys(headers).length === 0) {
    throw new UsageError('no signature given', 'pass --signature SIG, or the delivery\'s headers with --header "Name: value"');
  }
  const plan = planVerification(options, headers);
  const secret = checkedSecret(rawSecret, plan, fromFlag ? '--secret' : WEBHOOK_SECRET_ENV, deps);
  const body = await readBody(options.file, deps);
  if (body === null) {
    return { exitCode: exitCodeForStop(signalStop(deps.signal) ?? 'signal:SIGINT'), summary: { valid: false, reason: 'interrupted' } };
  }

  const nowSeconds = Math.floor(deps.now() / 1000);
  const toleranceSeconds = options.toleranceSeconds;
  const result: VerifyResult =
    plan.kind === 'provider'
      ? verifyProviderDelivery(plan.provider, secret, body, headers, { nowSeconds, toleranceSeconds })
      : verifySignature({ scheme: plan.scheme, secret, body, headers, signatureHeader: plan.signatureHeader, toleranceSeconds, nowSeconds });
  const summary = result.valid ? { valid: true } : { valid: false, reason: result.reason };
  if (!result.valid && !options.quiet) deps.stderr.write(`ocrq: ${result.detail}\n`);
  if (options.json) await print(deps, `${JSON.stringify(summary)}\n`);
  else if (!options.quiet) await print(deps, result.valid ? 'valid\n' : `invalid: ${result.reason}\n`);
  return { exitCode: result.valid ? ExitCode.Ok : ExitCode.BadSignature, summary };
}

function checkSelectors(options: VerifySignatureOptions): void {
  if (options.provider !== undefined && options.scheme !== undefined) throw new UsageError('give --provider or --scheme, not both');
  if (options.provider !== undefined && !isProviderName(options.provider)) {
    throw new UsageError('unknown provider', `use one of: ${PROVIDERS.join(', ')}`);
  }
  if (options.scheme !== undefined && !isScheme(options.scheme)) {
    throw new UsageError('unknown signature scheme', `use one of: ${SCHEMES.join(', ')}`);
  }
  const t = options.toleranceSeconds;
  if (t !== undefined && (!Number.isInteger(t) || t < 0)) throw new UsageError('--tolerance must be a whole number of seconds, 0 or more');
}

/** Repeated names are joined with ", " as Node joins a repeated request header, so both see the same value. */
export function parseHeaders(args: string[]): Headers {
  const map = new Map<string, string>();
  args.forEach((arg, i) => {
    const colon = arg.indexOf(':');
    const name = colon < 0 ? '' : arg.slice(0, colon).trim();
    // The argument is not echoed: a header given without its name would print the signature.
    if (!HEADER_NAME.test(name)) {
      throw new UsageError(`--header number ${i + 1} is not "Name: value"`, 'e.g. --header "OCRQueen-Signature: sha256=…"');
    }
    const key = name.toLowerCase();
    const value = arg.slice(colon + 1).trim();
    const previous = map.get(key);
    map.set(key, previous === undefined ? value : `${previous}, ${value}`);
  });
  // fromEntries defines own properties: a header named __proto__ stays a header.
  return Object.fromEntries(map);
}

/** Without --scheme or --provider the headers decide; a bare --signature means hmac-sha256-hex. */
function planVerification(options: VerifySignatureOptions, headers: Headers): Plan {
  if (options.provider !== undefined) return planProvider(options.provider, options.signature, headers);
  let scheme = options.scheme;
  if (scheme === undefined) {
    const inferred = inferFromHeaders(headers);
    if (inferred?.kind === 'provider') return planProvider(inferred.provider, options.signature, headers);
    if (inferred) scheme = inferred.scheme;
    else if (options.signature !== undefined) scheme = 'hmac-sha256-hex';
    else {
      throw new UsageError(
        'none of the headers given is a signature header ocrq knows',
        `name the scheme with --scheme (${SCHEMES.join(', ')}) or the provider with --provider`,
      );
    }
  }
  const signatureHeader = pickSignatureHeader(scheme, headers, options.signature !== undefined);
  if (options.signature !== undefined) placeSignature(headers, signatureHeader, options.signature);
  return { kind: 'scheme', scheme, signatureHeader };
}

function planProvider(provider: ProviderName, signature: string | undefined, headers: Headers): Plan {
  const signing = PROVIDER_REGISTRY[provider].signing;
  if (!signing) throw new UsageError(`${provider} does not sign its deliveries; there is no signature to verify`);
  if (signature !== undefined) placeSignature(headers, signing.schemes[0].signatureHeader, signature);
  return { kind: 'provider', provider };
}

function inferFromHeaders(headers: Headers): Plan | null {
  const has = (name: string) => Object.hasOwn(headers, name);
  if (['webhook-signature', 'webhook-id', 'webhook-timestamp', 'svix-signature', 'svix-id', 'svix-timestamp'].some(has)) {
    return { kind: 'scheme', scheme: 'standard-webhooks', signatureHeader: DEFAULT_SIGNATURE_HEADER['standard-webhooks'] };
  }
  if (has('stripe-signature')) return { kind: 'scheme', scheme: 'stripe', signatureHeader: DEFAULT_SIGNATURE_HEADER.stripe };
  if (has(DEFAULT_TIMESTAMP_HEADER)) {
    return { kind: 'scheme', scheme: 'hmac-sha256-hex-timestamped', signatureHeader: DEFAULT_SIGNATURE_HEADER['hmac-sha256-hex-timestamped'] };
  }
  const providers = PROVIDERS.filter((p) => PROVIDER_REGISTRY[p].signing?.schemes.some((entry) => has(entry.signatureHeader)));
  if (providers.length > 1) {
    throw new UsageError(`the headers given are signature headers of ${providers.join(' and ')}`, "give one provider's headers, or pick one with --provider");
  }
  return providers.length === 1 ? { kind: 'provider', provider: providers[0] } : null;
}

/** The scheme's usual header, else a known signature header given, else the one header given, else the usual one. */
function pickSignatureHeader(scheme: Scheme, headers: Headers, signatureFlag: boolean): string {
  const usual = DEFAULT_SIGNATURE_HEADER[scheme];
  // Svix's own header names, when the id and timestamp were given under them.
  if (scheme === 'standard-webhooks' && !Object.hasOwn(headers, 'webhook-id') && (Object.hasOwn(headers, 'svix-id') || Object.hasOwn(headers, 'svix-timestamp'))) return 'svix-signature';
  if (scheme === 'standard-webhooks' || scheme === 'stripe' || signatureFlag || Object.hasOwn(headers, usual)) return usual;
  const known = KNOWN_SIGNATURE_HEADERS.find((name) => Object.hasOwn(headers, name));
  if (known) return known;
  const others = Object.keys(headers).filter((name) => name !== DEFAULT_TIMESTAMP_HEADER);
  return others.length === 1 ? others[0] : usual;
}

function placeSignature(headers: Headers, name: string, signature: string): void {
  if (Object.hasOwn(headers, name)) throw new UsageError(`both --signature and --header ${name} give the signature`, 'give it once');
  headers[name] = signature;
}

function checkedSecret(raw: string, plan: Plan, source: string, deps: CommandDeps): string {
  const scheme = plan.kind === 'scheme' ? plan.scheme : (PROVIDER_REGISTRY[plan.provider].signing?.schemes[0].scheme ?? 'hmac-sha256-hex');
  try {
    const { secret, notice } = checkSecret(raw, scheme, source);
    if (notice) warnTo(deps.stderr)(notice);
    return secret;
  } catch (err) {
    if (err instanceof ConfigError && source === '--secret') throw new UsageError(err.message, err.fix);
    throw err;
  }
}

/** The raw bytes, or null when the run was interrupted while reading. */
async function readBody(file: string | undefined, deps: CommandDeps): Promise<Buffer | null> {
  const fromStdin = file === undefined || file === '-';
  if (fromStdin && (deps.stdin as Readable & { isTTY?: boolean }).isTTY) {
    throw new UsageError('no body to verify', 'give the file holding the raw body, or pipe it on stdin');
  }
  const name = fromStdin ? 'stdin' : file;
  const stream = fromStdin ? deps.stdin : createReadStream(resolve(deps.cwd, file));
  try {
    const body = await readLimited(stream, name, deps.signal);
    if (body?.length === 0) throw new UsageError(`no body to verify: ${name} is empty`, 'give the raw body the provider sent');
    return body;
  } finally {
    if (!fromStdin) stream.destroy();
  }
}

function readLimited(stream: Readable, name: string, signal: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (done: () => void) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      // A stream left behind may still fail; that must not become an unhandled 'error'.
      stream.on('error', () => {});
      signal.removeEventListener('abort', onAbort);
      stream.pause();
      done();
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > MAX_BODY_BYTES) {
        settle(() => reject(new UsageError(`the body in ${name} is larger than ${MAX_BODY_BYTES} bytes, more than ocrq listen accepts`)));
      } else chunks.push(bytes);
    };
    const onEnd = () => settle(() => resolveBody(Buffer.concat(chunks)));
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : (err.code ?? err.message);
      settle(() => reject(new UsageError(`cannot read the body from ${name}: ${why}`)));
    };
    const onAbort = () => settle(() => resolveBody(null));
    if (signal.aborted) return resolveBody(null);
    signal.addEventListener('abort', onAbort);
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

async function print(deps: CommandDeps, line: string): Promise<void> {
  await writeToStream(deps.stdout, (async function* () {
    yield line;
  })());
}
