/**
 * Who may deliver results, and how it is checked:
 * - a provider that signs (OCRQueen, LeapOCR, DocExtract): its own signature header, checked against its secret;
 *   a header is never checked against another provider's secret;
 * - a provider that signs nothing (qomplement, process-job): the `--require-header` value when one is given; without
 *   one, only when that provider was named with `--provider` (auto-detection never trusts an unsigned body). Either
 *   way such deliveries may only update jobs this run knows (see DeliveryStore).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PROVIDER_REGISTRY, PROVIDERS, type ProviderName } from '../providers/registry.js';
import { ConfigError, UsageError } from '../errors.js';
import { checkSecret } from '../signature/index.js';
import { verifyProviderDelivery } from '../providers/signing.js';
import type { Verdict } from './webhook-server.js';

export interface RequiredHeader {
  /** Lower case, as node gives header names. */
  name: string;
  value: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `"Name: value"` → `{name, value}`; UsageError when it is not one header line. */
export function parseRequiredHeader(text: string): RequiredHeader {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  const value = colon > 0 ? text.slice(colon + 1).trim() : '';
  if (!HEADER_NAME.test(name) || value === '' || !/^[\x20-\x7e]+$/.test(value)) {
    throw new UsageError('--require-header expects one header as "Name: value"', 'e.g. --require-header "X-Webhook-Token: s3cret"');
  }
  return { name: name.toLowerCase(), value };
}

/** True when the header is present exactly once with exactly this value (compared in constant time). */
export function hasRequiredHeader(headers: IncomingHttpHeaders, required: RequiredHeader): boolean {
  const given = headers[required.name];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(required.value, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface VerifierOptions {
  provider: ProviderName | 'auto';
  /** Secret per signing provider; a provider missing here has its deliveries refused. */
  secrets: ReadonlyMap<ProviderName, string>;
  requireHeader?: RequiredHeader;
  toleranceSeconds?: number;
  nowSeconds?: () => number;
}

export function makeVerifier(options: VerifierOptions): (provider: ProviderName, body: Buffer, headers: IncomingHttpHeaders) => Verdict {
  return (provider, body, headers) => {
    if (options.provider !== 'auto' && provider !== options.provider) {
      return { valid: false, reason: 'missing header', detail: `not a ${options.provider} delivery` };
    }
    if (PROVIDER_REGISTRY[provider].signing === null) {
      if (options.requireHeader) return hasRequiredHeader(headers, options.requireHeader) ? 'unsigned-ok' : 'unsigned-rejected';
      return options.provider === provider ? 'unsigned-ok' : 'unsigned-rejected';
    }
    const secret = options.secrets.get(provider);
    if (secret === undefined) return { valid: false, reason: 'wrong signature', detail: `no webhook secret configured for ${provider}` };
    return verifyProviderDelivery(provider, secret, body, headers, {
      nowSeconds: options.nowSeconds?.(),
      toleranceSeconds: options.toleranceSeconds,
    });
  };
}

export interface SecretSources {
  /** `--secret`, as given. */
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** `providers.<name>.webhook_secret` from the config file. */
  configValue(provider: ProviderName): unknown;
  configPath: string;
}

export const SECRET_ENV = 'OCRQ_WEBHOOK_SECRET';

/**
 * The secret of each signing provider the listener accepts: `--secret` > OCRQ_WEBHOOK_SECRET > the config file.
 * A given but empty secret (or `whsec_` alone) is refused, never ignored, so a listener never runs rejecting every
 * delivery; a named signing provider with no secret at all is refused too. Notices (a trimmed secret) go to
 * `onNotice`. Throws ConfigError naming the source, never the value.
 */
export function resolveSecrets(provider: ProviderName | 'auto', sources: SecretSources, onNotice: (message: string) => void): Map<ProviderName, string> {
  const envValue = sources.env[SECRET_ENV];
  const shared = sources.flag !== undefined ? { raw: sources.flag, name: '--secret' } : envValue !== undefined ? { raw: envValue, name: SECRET_ENV } : null;
  const providers = provider === 'auto' ? PROVIDERS : [provider];
  const secrets = new Map<ProviderName, string>();
  for (const p of providers) {
    const signing = PROVIDER_REGISTRY[p].signing;
    if (signing === null) continue;
    const configKey = `providers.${p}.webhook_secret`;
    const stored = sources.configValue(p);
    const source = shared ?? (stored === undefined || stored === null ? null : { raw: stored, name: `${configKey} in ${sources.configPath}` });
    if (source === null) {
      if (provider === 'auto') continue;
      throw new ConfigError(`no webhook secret for ${p}`, `pass --secret, set ${SECRET_ENV}, or run: ocrq config set ${configKey} SECRET`);
    }
    if (typeof source.raw !== 'string') throw new ConfigError(`${source.name} is not a string`, `ocrq config set ${configKey} SECRET`);
    // Empty, `whsec_` alone, or too long: refused here (ConfigError), before the socket is bound.
    const checked = checkSecret(source.raw, signing.schemes[0].scheme, source.name);
    if (checked.notice && !(shared && secrets.size > 0)) onNotice(checked.notice);
    secrets.set(p, checked.secret);
  }
  return secrets;
}
