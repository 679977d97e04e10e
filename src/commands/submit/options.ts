/**
 * `ocrq submit`'s options: what the command takes, and how parsed flags become them (cli.ts parses the flags and
 * hands them here). Light on imports: loaded on every run of the CLI, before the command itself.
 */
import { UsageError } from '../../errors.js';
import { DEFAULT_LISTEN_PORT } from '../listen/constants.js';
import type { CommandDeps } from '../deps.js';
import { secretOption } from '../secret-flags.js';
import type { PageSegmentation } from '../../config/keys.js';
import type { ProviderName } from '../../providers/registry.js';
import type { ResultsLayout } from '../../manifest/result-files.js';
import { parseShard, type Shard } from '../../shard/index.js';
import { parseShardBudget, type ShardBudget } from '../../config/keys.js';
import type { SubmitListenOptions } from './listener.js';

export interface SubmitOptions {
  paths: string[];
  include: string[];
  exclude: string[];
  maxFileSize: number;
  /**
   * `local` unless a provider is given (flag, or `defaults.provider` in the config when --engine is not given);
   * `native` and `auto` are the local pipeline with the system's tesseract reading the pages.
   */
  engine?: 'local' | 'native' | 'auto';
  provider?: ProviderName;
  apiKey?: string;
  baseUrl?: string;
  /** `--option key=value` pairs. */
  providerOptions: Record<string, string>;
  rps?: number;
  burst?: number;
  concurrency?: number;
  /** `--shard K/N`: take only this part of the inputs (also OCRQ_SHARD, defaults.shard). */
  shard?: Shard;
  /** Whether --rps, --burst and --concurrency are the totals of all shards (split N ways) or this shard's own. */
  shardBudget?: ShardBudget;
  retries: number;
  /** Stop waiting for remote results after this long; pending jobs stay `submitted` (exit 7). */
  timeoutMs?: number;
  noWait: boolean;
  pollIntervalMs?: number;
  /** `--listen [PORT]` and its companions; undefined without --listen. */
  listen?: SubmitListenOptions;
  workers?: number;
  /** Time budget of one page in a document worker, in seconds. */
  maxPageSeconds?: number;
  /** Memory budget of one document worker, in bytes. */
  maxWorkerMemory?: number;
  /** OCRed pages below this mean word confidence (0-100) are marked low confidence. */
  minConfidence?: number;
  /** `--rotate` (true) or `--no-rotate` (false): detect each OCRed page's orientation and turn it upright. */
  rotate?: boolean;
  /** `--psm auto|block`: how Tesseract finds the text on a page. */
  psm?: PageSegmentation;
  lang: string;
  langPath?: string;
  dpi: number;
  forceOcr: boolean;
  out: string;
  csv?: string;
  resultsDir?: string;
  /** How --results-dir lays files out; undefined: DEFAULT_RESULTS_LAYOUT. */
  resultsLayout?: ResultsLayout;
  /** What the CSV's `text` column holds: the text (undefined, the default) or, with --results-dir, the text file's path. */
  csvText?: 'text' | 'path';
  retryFailed: boolean | string[];
  force: boolean;
  dryRun: boolean;
  repair: boolean;
  json: boolean;
  quiet: boolean;
}

/** `--engine` values: the embedded engine, the system's tesseract, or the latter when it is usable. */
export const ENGINES: readonly string[] = ['local', 'native', 'auto'];

/** Submit's flags as commander parses them. */
export type SubmitFlags = {
  include: string[];
  exclude: string[];
  maxFileSize: number;
  engine?: string;
  provider?: string;
  apiKey?: string;
  apiKeyFile?: string;
  baseUrl?: string;
  option: string[];
  rps?: number;
  burst?: number;
  concurrency?: number;
  shard?: string;
  shardBudget?: string;
  retries: number;
  timeout?: number;
  wait: boolean;
  pollInterval?: number;
  listen?: boolean | string;
  host: string;
  publicUrl?: string;
  webhookSecret?: string;
  webhookSecretFile?: string;
  callbackGrace: number;
  workers?: number;
  maxPageSeconds?: number;
  maxWorkerMemory?: number;
  minConfidence?: number;
  rotate?: boolean;
  psm?: PageSegmentation;
  lang: string;
  langPath?: string;
  dpi: number;
  forceOcr?: boolean;
  out: string;
  csv?: string;
  resultsDir?: string;
  resultsLayout?: ResultsLayout;
  csvText?: 'text' | 'path';
  retryFailed?: boolean | string;
  force?: boolean;
  dryRun?: boolean;
  repair?: boolean;
  json?: boolean;
  quiet?: boolean;
};

function listenOptions(raw: SubmitFlags): SubmitOptions['listen'] {
  if (raw.listen === undefined || raw.listen === false) {
    if (raw.publicUrl !== undefined || raw.webhookSecret !== undefined) throw new UsageError('--public-url and --webhook-secret need --listen', 'add --listen');
    return undefined;
  }
  const port = raw.listen === true ? DEFAULT_LISTEN_PORT : Number(raw.listen);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--listen ${String(raw.listen)}: not a port`, `e.g. --listen ${DEFAULT_LISTEN_PORT}, or --listen 0 for any free port`);
  return { port, host: raw.host, publicUrl: raw.publicUrl, webhookSecret: raw.webhookSecret, callbackGraceMs: raw.callbackGrace };
}

/** Checks and converts parsed flags (secrets already read). */
export function normalizeSubmitOptions(paths: string[], raw: SubmitFlags): SubmitOptions {
  if (raw.engine !== undefined && !ENGINES.includes(raw.engine)) throw new UsageError(`unknown engine "${raw.engine}"`, 'the embedded engine is --engine local; the system\'s tesseract is --engine native (or auto)');
  if (raw.engine !== undefined && raw.provider !== undefined) throw new UsageError('--engine and --provider cannot be combined', 'use --engine local, or --provider NAME');
  if (raw.json && raw.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  if (raw.resultsLayout !== undefined && raw.resultsDir === undefined) throw new UsageError('--results-layout needs --results-dir', 'add --results-dir DIR');
  if (raw.csvText === 'path' && (raw.resultsDir === undefined || raw.csv === undefined)) {
    throw new UsageError('--csv-text path puts the paths of the text files of --results-dir in the CSV', 'add --csv FILE and --results-dir DIR, or drop --csv-text');
  }
  let retryFailed: boolean | string[] = false;
  if (raw.retryFailed === true) retryFailed = true;
  else if (typeof raw.retryFailed === 'string') {
    retryFailed = raw.retryFailed
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (retryFailed.length === 0) retryFailed = true;
  }
  const providerOptions: Record<string, string> = {};
  for (const pair of raw.option) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--option ${pair}: expected key=value`, 'e.g. --option template_id=abc');
    providerOptions[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return {
    paths,
    include: raw.include,
    exclude: raw.exclude,
    maxFileSize: raw.maxFileSize,
    engine: raw.engine as SubmitOptions['engine'],
    provider: raw.provider as SubmitOptions['provider'],
    apiKey: raw.apiKey,
    baseUrl: raw.baseUrl,
    providerOptions,
    rps: raw.rps,
    burst: raw.burst,
    concurrency: raw.concurrency,
    shard: raw.shard === undefined ? undefined : parseShard(raw.shard),
    shardBudget: raw.shardBudget === undefined ? undefined : parseShardBudget(raw.shardBudget),
    retries: raw.retries,
    timeoutMs: raw.timeout,
    noWait: raw.wait === false,
    pollIntervalMs: raw.pollInterval,
    listen: listenOptions(raw),
    workers: raw.workers,
    maxPageSeconds: raw.maxPageSeconds,
    maxWorkerMemory: raw.maxWorkerMemory,
    minConfidence: raw.minConfidence,
    rotate: raw.rotate,
    psm: raw.psm,
    lang: raw.lang,
    langPath: raw.langPath,
    dpi: raw.dpi,
    forceOcr: Boolean(raw.forceOcr),
    out: raw.out,
    csv: raw.csv,
    resultsDir: raw.resultsDir,
    ...(raw.resultsLayout !== undefined ? { resultsLayout: raw.resultsLayout } : {}),
    ...(raw.csvText !== undefined ? { csvText: raw.csvText } : {}),
    retryFailed,
    force: Boolean(raw.force),
    dryRun: Boolean(raw.dryRun),
    repair: Boolean(raw.repair),
    json: Boolean(raw.json),
    quiet: Boolean(raw.quiet),
  };
}

/** The options of a run: standard input holds either the paths or a secret; secrets are read, then the flags checked. */
export async function submitOptions(paths: string[], flags: SubmitFlags, deps: CommandDeps): Promise<SubmitOptions> {
  if ([flags.apiKeyFile, flags.webhookSecretFile].includes('-') && paths.includes('-')) {
    throw new UsageError('standard input cannot hold both the paths and a secret', 'pass the secret in a file');
  }
  const apiKey = await secretOption(flags.apiKey, flags.apiKeyFile, '--api-key', deps, Boolean(flags.quiet));
  const webhookSecret = await secretOption(flags.webhookSecret, flags.webhookSecretFile, '--webhook-secret', deps, Boolean(flags.quiet));
  return normalizeSubmitOptions(paths, { ...flags, apiKey, webhookSecret });
}
