import { loadAdapter, type ProviderName } from '../providers/registry.js';
import { resolveApiKey, resolveSetting } from '../config/resolve.js';
import type { ConfigReader } from '../config/file.js';
import type { PageSegmentation } from '../config/keys.js';
import { UsageError } from '../errors.js';
import { RateLimiter } from '../http/pacing/limiter.js';
import { limiterOptions } from '../http/pacing/policy.js';
import { DEFAULT_RETRY_POLICY } from '../http/pacing/retry.js';
import type { ResultBoard } from '../results/board.js';
import type { Budgets } from '../isolate/budgets.js';
import type { OcrEngineChoice } from './local/engine.js';
import type { Target } from './types.js';
import { localSettings, remoteSettings, type ResultSettings } from '../manifest/settings.js';

/** `engine` of the embedded engine's results (`result.engine`). */
export const LOCAL_ENGINE_NAME = 'tesseract.js';
/** `engine` of results read by the system's tesseract (`--engine native`). */
export const NATIVE_ENGINE_NAME = 'tesseract';

export interface LocalTargetOptions {
  engine: 'local';
  /** What reads page images (`--engine local|native|auto`); default embedded. */
  ocrEngine?: OcrEngineChoice;
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
  /** How Tesseract finds the text on a page. */
  psm: PageSegmentation;
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

/**
 * The settings a run's results depend on (recorded on each completed row; a completed job made with other ones is
 * processed again). Workers, budgets, rates and output options are left out: they never change a result.
 */
export function resultSettings(options: TargetOptions): ResultSettings {
  if (options.engine === 'remote') return remoteSettings(options.provider, options.options);
  const settings: Record<string, string> = { ...localSettings({ engine: LOCAL_ENGINE_NAME, lang: options.lang, dpi: options.dpi, forceOcr: options.forceOcr }), rotate: String(options.rotate), psm: options.psm };
  // The engine `auto` picks is known once it starts (the target's `ocrEngineName`); until then it is not compared.
  if (options.ocrEngine === 'native') settings.engine = NATIVE_ENGINE_NAME;
  else if (options.ocrEngine === 'auto') delete settings.engine;
  return settings;
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
    ocrEngine: options.ocrEngine,
    env: ctx.env,
    onNotice: ctx.onNotice,
    workers: options.workers,
    budgets: options.budgets,
    lang: options.lang,
    langPath: options.langPath,
    dpi: options.dpi,
    forceOcr: options.forceOcr,
    minConfidence: options.minConfidence,
    rotate: options.rotate,
    psm: options.psm,
  });
}

/**
 * Everything about a remote target is checked here, before the walk starts and before any request: the provider,
 * its key, its base URL and its options. A mistake is a usage error with nothing submitted.
 */
async function resolveRemote(o: RemoteTargetSettings, ctx: TargetEnv): Promise<Target> {
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
  const [{ ProviderHttp }, { createRemoteTarget }] = await Promise.all([import('../http/client.js'), import('./http/remote.js')]);
  const http = new ProviderHttp({
    provider: o.provider,
    baseUrl,
    auth: adapter.authHeader(key.value),
    keySource: key.name,
    idempotent: adapter.idempotent,
    limiter: new RateLimiter(limiterOptions(o)),
    retry: { ...DEFAULT_RETRY_POLICY, retries: o.retries },
    parseError: adapter.parseError,
  });
  return createRemoteTarget({ adapter, http, options, noWait: o.noWait, callbackUrl: o.callbackUrl, webhooks: o.webhooks, pollInitialMs: o.pollIntervalMs });
}
