import type { ProviderName } from '../config/keys.js';
import { resolveApiKey, resolveSetting } from '../config/resolve.js';
import type { ConfigReader } from '../config/file.js';
import { UsageError } from '../errors.js';
import { RateLimiter } from '../submit/rate-limiter.js';
import { DEFAULT_RETRY_POLICY } from '../submit/retry.js';
import type { ResultBoard } from '../results/board.js';
import type { Budgets } from '../isolate/budgets.js';
import type { Target } from './types.js';

/**
 * Requests are scheduled 1% under --rps: a request's arrival at the provider is a few milliseconds after it leaves,
 * by a varying amount, and that jitter must not push one of the provider's 1-second windows over its limit.
 */
export const RATE_MARGIN = 0.99;
/**
 * How much later than it started a request may reach the provider, compared with the others (event loops, new
 * connections, a busy host). No window of 1 s plus this much holds more than rps + burst starts, so the provider's
 * 1-second windows hold no more either. A trade-off, as it also sets the highest rate: (rps + burst) per 1.02 s. On
 * loopback on a busy two-core host the spread was a few ms, and 20-40 ms for a few requests in a thousand.
 */
export const ARRIVAL_JITTER_MS = 20;

export interface LocalTargetOptions {
  engine: 'local';
  dryRun: boolean;
  workers: number;
  budgets: Budgets;
  lang: string;
  langPath?: string;
  dpi: number;
  forceOcr: boolean;
  /** OCRed pages with a mean word confidence below this are marked low confidence. */
  minConfidence: number;
  /** Detect each OCRed page's orientation and turn it upright first. */
  rotate: boolean;
}

export interface RemoteTargetSettings {
  engine: 'remote';
  provider: ProviderName;
  dryRun: boolean;
  apiKey?: string;
  baseUrl?: string;
  options: Record<string, string>;
  rps: number;
  burst: number;
  concurrency: number;
  retries: number;
  noWait: boolean;
  pollIntervalMs?: number;
  /** With `submit --listen`: the callback URL (known once bound) and where deliveries arrive. */
  callbackUrl?: () => string | undefined;
  webhooks?: { board: ResultBoard; graceMs: number };
}

export type TargetOptions = LocalTargetOptions | RemoteTargetSettings;

export interface TargetEnv {
  env: NodeJS.ProcessEnv;
  config: ConfigReader;
  onNotice: (message: string) => void;
}

/** Picks the target for a run. A dry run gets the null engine, which counts pages and never starts OCR workers. */
export async function resolveTarget(options: TargetOptions, ctx: TargetEnv): Promise<Target> {
  if (options.engine === 'remote') return resolveRemote(options, ctx);
  if (options.dryRun) {
    const [{ createNullTarget }, { jobIdFor }] = await Promise.all([import('./null.js'), import('./local/engine.js')]);
    return createNullTarget('local', jobIdFor);
  }
  const { createLocalEngine } = await import('./local/engine.js');
  return createLocalEngine({
    workers: options.workers,
    budgets: options.budgets,
    lang: options.lang,
    langPath: options.langPath,
    dpi: options.dpi,
    forceOcr: options.forceOcr,
    minConfidence: options.minConfidence,
    rotate: options.rotate,
  });
}

/**
 * Everything about a remote target is checked here, before the walk starts and before any request: the provider,
 * its key, its base URL and its options. A mistake is a usage error with nothing submitted.
 */
async function resolveRemote(o: RemoteTargetSettings, ctx: TargetEnv): Promise<Target> {
  const { loadAdapter } = await import('./http/providers/index.js');
  const adapter = await loadAdapter(o.provider);
  if (!adapter) throw new UsageError(`provider ${o.provider} is not available in this version`, 'use --engine local, or another provider');
  for (const [k] of Object.entries(o.options)) {
    if (!(k in adapter.options)) {
      throw new UsageError(`${o.provider} has no option "${k}"`, `known options: ${Object.keys(adapter.options).join(', ') || 'none'}`);
    }
  }
  const options: Record<string, string> = {};
  for (const [k, spec] of Object.entries(adapter.options)) {
    const value = o.options[k] ?? spec.default;
    if (value !== undefined) options[k] = value;
    else if (spec.required) throw new UsageError(`${o.provider} needs --option ${k}=…`, spec.help);
  }
  adapter.checkOptions?.(options);
  if (o.dryRun) {
    const { createNullTarget } = await import('./null.js');
    return createNullTarget(o.provider);
  }
  const key = resolveApiKey(o.provider, o.apiKey, ctx.env, ctx.config, ctx.onNotice);
  if (!key) {
    throw new UsageError(
      `no API key for ${o.provider}`,
      `pass --api-key, set OCRQ_API_KEY, or store it: ocrq config set providers.${o.provider}.api_key - (reads it from stdin)`,
    );
  }
  const baseUrl = resolveSetting<string>({
    flag: o.baseUrl,
    flagName: '--base-url',
    env: ctx.env,
    configKey: `providers.${o.provider}.base_url`,
    config: ctx.config,
    fallback: adapter.defaultBaseUrl,
  }).value;
  const [{ ProviderHttp }, { createRemoteTarget }] = await Promise.all([import('./http/client.js'), import('./http/remote.js')]);
  const http = new ProviderHttp({
    provider: o.provider,
    baseUrl,
    auth: adapter.authHeader(key.value),
    keySource: key.name,
    idempotent: adapter.idempotent,
    limiter: new RateLimiter({
      rps: o.rps * RATE_MARGIN,
      burst: o.burst,
      concurrency: o.concurrency,
      cap: { starts: Math.floor(o.rps + o.burst), ms: 1000 + ARRIVAL_JITTER_MS },
    }),
    retry: { ...DEFAULT_RETRY_POLICY, retries: o.retries },
    parseError: adapter.parseError,
  });
  return createRemoteTarget({ adapter, http, options, noWait: o.noWait, callbackUrl: o.callbackUrl, webhooks: o.webhooks, pollInitialMs: o.pollIntervalMs });
}
