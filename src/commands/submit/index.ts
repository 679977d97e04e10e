import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { parseConfidence, parseMemoryBudget, parsePageSegmentation, parseShardBudget, parseSwitch, parsePositiveInteger, parsePositiveNumber, type ShardBudget } from '../../config/keys.js';
import { isProviderName, PROVIDERS, type ProviderName } from '../../providers/registry.js';
import { DEFAULT_PAGE_SECONDS, DEFAULT_WORKER_MEMORY } from '../../isolate/budgets.js';
import { resolveSetting } from '../../config/resolve.js';
import { readConfig, type ConfigReader } from '../../config/file.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RPS, shareOfBudget } from '../../http/pacing/policy.js';
import { parseShard, type Shard } from '../../shard/index.js';
import { DEFAULT_MIN_CONFIDENCE } from '../../targets/local/confidence.js';
import { DEFAULT_PSM } from '../../targets/local/page-segmentation.js';
import { DEFAULT_ROTATE } from '../../isolate/ocr/orientation.js';
import type { PreparedWebhooks } from './listener.js';
import type { SubmitOptions } from './options.js';
import type { WebhookServer } from '../../results/webhook-server.js';
import { exitCodeForRun, isSignalStop, signalStop } from '../../exit-code.js';
import { CORRUPT_SUFFIX, repairManifest } from '../../manifest/repair.js';
import { plural } from '../../output/format.js';
import { Journal } from '../../manifest/jsonl.js';
import { writeFileAtomic } from '../../manifest/atomic.js';
import { readFoldedManifest } from '../../manifest/folded-view.js';
import { ResumeIndex } from '../../manifest/resume-index.js';
import type { RunSummary } from '../../output/events.js';
import { chooseReporterKind, createReporter, type Reporter } from '../../output/reporter.js';
import { runPipeline } from '../../submit/pipeline.js';
import { resultWriter } from '../../submit/result-writer.js';
import { DEFAULT_RESULTS_LAYOUT } from '../../manifest/result-files.js';
import { ManifestWriter } from '../../manifest/writer.js';
import { resolveTarget, resultSettings, type RemoteTargetSettings, type TargetOptions } from '../../targets/index.js';
import type { Target } from '../../targets/types.js';
import { DEFAULT_ZIP_LIMITS } from '../../walk/zip.js';
import { hasGlobChars, walkBatches } from '../../walk/walk.js';
import { withoutOwnOutputs } from '../../submit/own-outputs.js';
import { countInputsInThread } from '../../walk/count-thread.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import { checkOutputDirectory, checkOutputFile } from './output-paths.js';

export type { SubmitOptions } from './options.js';

/** Deliveries in flight when the run ends get this long to be stored and answered. */
const LISTENER_DRAIN_MS = 5_000;

export async function submit(options: SubmitOptions, deps: CommandDeps): Promise<CommandResult<RunSummary>> {
  const started = deps.now();
  await checkArguments(options, deps);
  if (!options.dryRun) await checkOutputs(options, deps);
  const config = readConfig({ env: deps.env });
  const shard = resolveShard(options, deps.env, config);
  // Under --shard the provider figures are one API key's totals, shared by the N shards, unless given per shard.
  const shardBudget = shard ? resolveShardBudget(options, deps.env, config) : 'total';
  const targetOptions = resolveTargetOptions(options, deps.env, config, shard && shardBudget === 'total' ? shard.count : 1);
  // Said before any progress is drawn: under --shard, the pace this run keeps with the provider.
  if (shard && targetOptions.engine === 'remote' && !options.quiet) deps.stderr.write(`ocrq: ${shardBudgetLine(shard, shardBudget, targetOptions)}\n`);
  const reporterKind = chooseReporterKind(options, deps);
  const reporter = createReporter(reporterKind, deps, deps.now);
  const warn = (message: string) => reporter.emit({ type: 'warning', message });
  const manifest = path.resolve(deps.cwd, options.out);
  let journal: Journal | null = null;
  let target: Target | null = null;
  let listener: WebhookServer | null = null;
  try {
    let webhooks: PreparedWebhooks | null = null;
    if (options.listen && !options.dryRun) {
      if (targetOptions.engine !== 'remote') throw new UsageError('--listen collects provider webhooks; it needs --provider', 'drop --listen for the local engine');
      // Loaded only here: the listener and its verifiers are a sizeable part of start-up, and most runs have none.
      const { prepareWebhooks } = await import('./listener.js');
      webhooks = prepareWebhooks(targetOptions.provider, options.listen, deps.env, config, warn);
      const hooks = webhooks;
      targetOptions.callbackUrl = () => hooks.callbackUrl;
      targetOptions.webhooks = { board: hooks.board, graceMs: options.listen.callbackGraceMs };
    }
    // Validation (provider, key, options) and engine start-up come before the manifest is touched.
    target = await resolveTarget(targetOptions, { env: deps.env, config, onNotice: warn });
    // One writer for the manifest: the pipeline, the target's submissions and the listener's deliveries all go
    // through it.
    let index: ResumeIndex;
    let writer: ManifestWriter;
    if (options.dryRun) {
      index = await readIndex(manifest, options.repair, warn);
      writer = ManifestWriter.discarding();
    } else {
      if (options.repair) await repairFirst(manifest, options.out, warn);
      const opened = await Journal.open(manifest, { repair: options.repair, onWarning: warn });
      journal = opened.journal;
      index = opened.index;
      writer = new ManifestWriter(journal);
    }
    if (webhooks && journal) {
      const bound = await webhooks.start(writer, index, warn);
      listener = bound.server;
      reporter.emit({ type: 'ready', url: bound.url });
    }
    const shardName = shard ? `${shard.index}/${shard.count}` : undefined;
    reporter.emit({ type: 'start', manifest: options.out, target: target.name, dry_run: options.dryRun, resumed_jobs: index.size, ...(shardName ? { shard: shardName } : {}) });

    const resultsLayout = options.resultsLayout ?? DEFAULT_RESULTS_LAYOUT;
    const waitSignal = options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined;
    const walkOptions = {
      cwd: deps.cwd,
      include: options.include,
      exclude: options.exclude,
      maxFileSize: options.maxFileSize,
      zipLimits: { ...DEFAULT_ZIP_LIMITS, maxEntrySize: options.maxFileSize },
      stdin: deps.stdin,
      shard,
    };
    const ownOutputs = {
      files: [manifest, ...(options.csv ? [path.resolve(deps.cwd, options.csv)] : [])],
      resultsDir: options.resultsDir ? path.resolve(deps.cwd, options.resultsDir) : undefined,
    };
    const items = withoutOwnOutputs(walkBatches(options.paths, { ...walkOptions, onWarning: warn }), deps.cwd, ownOutputs);
    // Progress gets its total from a count that runs ahead of the walk, in a thread of its own; nobody reads it under
    // --quiet.
    const countAhead =
      reporterKind === 'silent'
        ? undefined
        : (onCount: (files: number) => void, signal: AbortSignal) => countInputsInThread(options.paths, { ...walkOptions, signal }, onCount);
    const counts = await runPipeline(
      items,
      {
        policy: { force: options.force, retryFailed: options.retryFailed, settings: runSettings(targetOptions, target) },
        dryRun: options.dryRun,
        documentsInFlight: options.dryRun ? 8 : targetOptions.engine === 'local' ? targetOptions.workers * 2 + 1 : targetOptions.concurrency,
      },
      {
        writer,
        index,
        target,
        emit: (e) => reporter.emit(e),
        signal: deps.signal,
        waitSignal,
        now: deps.now,
        results: options.resultsDir ? resultWriter(path.resolve(deps.cwd, options.resultsDir), resultsLayout, warn, writeFileAtomic) : undefined,
        countAhead,
      },
    );
    await target.close();
    target = null;
    await listener?.close(LISTENER_DRAIN_MS);
    listener = null;
    await journal?.close();
    journal = null;
    if (options.csv && !options.dryRun) {
      // The text column holds the text unless --csv-text path asks for the paths of the files in --results-dir.
      const textPaths = options.csvText === 'path' ? { resultsDir: options.resultsDir, resultsLayout } : {};
      const { writeCsvFile } = await import('../../manifest/csv.js');
      await writeCsvFile(readFoldedManifest(manifest), path.resolve(deps.cwd, options.csv), textPaths);
    }

    const stop = signalStop(deps.signal) ?? (waitSignal?.aborted ? 'timeout' : null);
    const elapsed = deps.now() - started;
    const summary: RunSummary = {
      files: counts.files,
      documents: counts.completed + counts.failed + counts.skipped + counts.pending,
      completed: counts.completed,
      failed: counts.failed,
      skipped: counts.skipped,
      duplicates: counts.duplicates,
      pending: counts.pending,
      pages: counts.pages,
      elapsed_ms: Math.round(elapsed),
      exit_code: exitCodeForRun(counts, stop),
      already_done: counts.alreadyDone,
      redone_for_settings: [...counts.redoneForSettings].map(([change, documents]) => ({ change, documents })),
      processed: counts.processed,
      low_confidence_pages: counts.lowConfidencePages,
      pages_per_second: elapsed > 0 && !options.dryRun ? Math.round((counts.pages / (elapsed / 1000)) * 100) / 100 : 0,
      dry_run: options.dryRun,
      interrupted: isSignalStop(stop),
      manifest: options.out,
      failures: counts.failures,
      skipped_by_code: counts.skippedByCode,
      // What a dry run would read, so that shards can be compared before they run.
      ...(options.dryRun ? { bytes: counts.bytes } : {}),
      ...(shardName ? { shard: shardName } : {}),
    };
    reporter.emit({ type: 'summary', summary });
    return { exitCode: summary.exit_code, summary };
  } finally {
    await target?.close().catch(() => {});
    await listener?.close(LISTENER_DRAIN_MS).catch(() => {});
    await journal?.close().catch(() => {});
    closeReporter(reporter);
  }
}

/** `--shard K/N`, else OCRQ_SHARD, else defaults.shard; undefined: the whole batch. */
function resolveShard(o: SubmitOptions, env: NodeJS.ProcessEnv, config: ConfigReader): Shard | undefined {
  return resolveSetting<Shard | undefined>({ flag: o.shard, flagName: '--shard', envName: 'OCRQ_SHARD', env, configKey: 'defaults.shard', config, parse: parseShard, fallback: undefined }).value;
}

/** `--shard-budget`, else OCRQ_SHARD_BUDGET, else defaults.shard_budget, else total. */
function resolveShardBudget(o: SubmitOptions, env: NodeJS.ProcessEnv, config: ConfigReader): ShardBudget {
  return resolveSetting<ShardBudget>({
    flag: o.shardBudget,
    flagName: '--shard-budget',
    envName: 'OCRQ_SHARD_BUDGET',
    env,
    configKey: 'defaults.shard_budget',
    config,
    parse: parseShardBudget,
    fallback: 'total',
  }).value;
}

/** The one line a sharded run against a provider prints: the figures it paces itself by, and why. */
function shardBudgetLine(shard: Shard, mode: ShardBudget, t: RemoteTargetSettings): string {
  const figures = `--rps ${Number(t.rps.toFixed(3))}, --burst ${t.burst}, --concurrency ${t.concurrency}`;
  const name = `shard ${shard.index}/${shard.count}`;
  if (mode === 'per-shard') return `${name}: ${figures} for this shard alone (--shard-budget per-shard)`;
  return `${name}: using 1/${shard.count} of the provider budget: ${figures}`;
}

/** The settings this run's results depend on, with the engine the local target actually started. */
function runSettings(targetOptions: TargetOptions, target: Target): Readonly<Record<string, string>> {
  const settings = resultSettings(targetOptions);
  return target.ocrEngineName !== undefined && targetOptions.engine === 'local' ? { ...settings, engine: target.ocrEngineName } : settings;
}

/** Settings with precedence flag > environment > config file > default (README "ocrq config"). */
function resolveTargetOptions(o: SubmitOptions, env: NodeJS.ProcessEnv, config: ConfigReader, budgetShares: number): TargetOptions {
  const setting = <T>(flag: T | undefined, flagName: string, envName: string, configKey: string, parse: (s: string) => T, fallback: T): T =>
    resolveSetting<T>({ flag, flagName, envName, env, configKey, config, parse, fallback }).value;
  const provider = o.provider ?? (o.engine === undefined ? (config.get('defaults.provider') as ProviderName | undefined) : undefined);
  if (!provider) {
    return {
      engine: 'local',
      ocrEngine: o.engine === 'native' || o.engine === 'auto' ? o.engine : 'embedded',
      dryRun: o.dryRun,
      workers: setting(o.workers, '--workers', 'OCRQ_WORKERS', 'defaults.workers', parsePositiveInteger, Math.max(1, os.availableParallelism())),
      budgets: {
        pageSeconds: setting(o.maxPageSeconds, '--max-page-seconds', 'OCRQ_MAX_PAGE_SECONDS', 'defaults.max_page_seconds', parsePositiveNumber, DEFAULT_PAGE_SECONDS),
        workerMemory: setting(o.maxWorkerMemory, '--max-worker-memory', 'OCRQ_MAX_WORKER_MEMORY', 'defaults.max_worker_memory', parseMemoryBudget, DEFAULT_WORKER_MEMORY),
      },
      lang: o.lang,
      langPath: o.langPath,
      dpi: o.dpi,
      forceOcr: o.forceOcr,
      minConfidence: setting(o.minConfidence, '--min-confidence', 'OCRQ_MIN_CONFIDENCE', 'defaults.min_confidence', parseConfidence, DEFAULT_MIN_CONFIDENCE),
      rotate: setting(o.rotate, '--rotate', 'OCRQ_ROTATE', 'defaults.rotate', parseSwitch, DEFAULT_ROTATE),
      psm: setting(o.psm, '--psm', 'OCRQ_PSM', 'defaults.psm', parsePageSegmentation, DEFAULT_PSM),
    };
  }
  if (!isProviderName(provider)) throw new UsageError(`unknown provider "${String(provider)}" in defaults.provider`, `ocrq config set defaults.provider ${PROVIDERS.join('|')}`);
  const given = {
    rps: setting(o.rps, '--rps', 'OCRQ_RPS', 'defaults.rps', parsePositiveNumber, DEFAULT_RPS),
    burst: setting(o.burst, '--burst', 'OCRQ_BURST', 'defaults.burst', parsePositiveInteger, DEFAULT_BURST),
    concurrency: setting(o.concurrency, '--concurrency', 'OCRQ_CONCURRENCY', 'defaults.concurrency', parsePositiveInteger, DEFAULT_CONCURRENCY),
  };
  const budget = budgetShares > 1 ? shareOfBudget(given, budgetShares) : given;
  return {
    engine: 'remote',
    provider,
    dryRun: o.dryRun,
    apiKey: o.apiKey,
    baseUrl: o.baseUrl,
    options: o.providerOptions,
    ...budget,
    retries: o.retries,
    noWait: o.noWait,
    pollIntervalMs: o.pollIntervalMs,
  };
}

function closeReporter(reporter: Reporter): void {
  reporter.close();
}

/** Usage mistakes are caught before anything is opened: a typo in a cron line must not look like success. */
async function checkArguments(options: SubmitOptions, deps: CommandDeps): Promise<void> {
  if (options.paths.length === 0) {
    throw new UsageError('no inputs given', 'pass files, folders, ZIP archives or globs, or - to read paths from stdin');
  }
  for (const p of options.paths) {
    if (p === '-' || hasGlobChars(p)) continue;
    try {
      await fs.lstat(path.resolve(deps.cwd, p));
    } catch {
      throw new UsageError(`${p}: no such file or directory`, 'check the path; quote globs so ocrq expands them');
    }
  }
}

/** Where the run writes, checked before the engine starts or any document is read (a dry run writes nothing). */
async function checkOutputs(options: SubmitOptions, deps: CommandDeps): Promise<void> {
  await checkOutputFile(path.resolve(deps.cwd, options.out), '--out');
  if (options.csv) await checkOutputFile(path.resolve(deps.cwd, options.csv), '--csv');
  if (options.resultsDir) await checkOutputDirectory(path.resolve(deps.cwd, options.resultsDir), '--results-dir');
}

/** `submit --repair`: corrupt lines go to MANIFEST.corrupt for good, as with `ocrq repair`, before the run opens it. */
async function repairFirst(manifest: string, shown: string, warn: (m: string) => void): Promise<void> {
  try {
    await fs.access(manifest);
  } catch {
    return;
  }
  const result = await repairManifest(manifest, warn);
  if (result.moved > 0) warn(`manifest ${shown}: moved ${plural(result.moved, 'corrupt line')} (line ${result.movedLines.join(', ')}${result.moved > result.movedLines.length ? ', …' : ''}) to ${shown}${CORRUPT_SUFFIX}`);
}

/** A dry run reads the manifest without locking it; no manifest yet means nothing is done yet. */
async function readIndex(manifest: string, repair: boolean, onWarning: (m: string) => void): Promise<ResumeIndex> {
  try {
    await fs.access(manifest);
  } catch {
    return new ResumeIndex();
  }
  return ResumeIndex.load(manifest, { repair, onWarning });
}
