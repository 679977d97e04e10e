/**
 * `ocrq listen`: receives provider webhooks and appends their results to a manifest (README "ocrq listen").
 * Everything that can be wrong with the arguments, the secrets or the manifest is found before the socket is bound;
 * the ready line is printed only once it is. Exit: 0 when --until-done is satisfied, 7 on --timeout, 130/143 on
 * SIGINT/SIGTERM (after the requests in flight are answered and the manifest is flushed), 2 when it cannot start.
 */
import path from 'node:path';
import { readConfig } from '../../config/file.js';
import { parseHttpUrl } from '../../config/keys.js';
import { PROVIDER_REGISTRY, type ProviderName } from '../../providers/registry.js';
import { ConfigError, ExitCode, UsageError } from '../../errors.js';
import { exitCodeForStop, isSignalStop, signalStop, type RunStop } from '../../exit-code.js';
import { Journal } from '../../manifest/jsonl.js';
import { ManifestWriter } from '../../manifest/writer.js';
import { readManifest } from '../../manifest/read.js';
import { errorInfo } from '../../output/error-info.js';
import type { ListenEvent, ListenSummary } from '../../output/events.js';
import { chooseListenReporterKind, createListenReporter } from '../../output/listen-reporter.js';
import { redact } from '../../output/redact.js';
import { deliveryFailure } from '../../results/delivery-store.js';
import { LOW_CREDIT_EVENTS } from '../../results/payloads.js';
import { PendingJobs } from '../../results/until-done.js';
import { makeVerifier, parseRequiredHeader, resolveSecrets, SECRET_ENV, type RequiredHeader } from '../../results/verifier.js';
import { DEFAULT_CLOSE_GRACE_MS, startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../results/webhook-server.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import { DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT } from './constants.js';
import type { ListenOptions } from './options.js';

export { DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT };
export type { ListenOptions } from './options.js';
export type { ListenSummary } from '../../output/events.js';

/** How often --until-done looks at the job states besides after each stored delivery. */
export const UNTIL_DONE_CHECK_MS = 500;

export async function listen(options: ListenOptions, deps: CommandDeps): Promise<CommandResult<ListenSummary>> {
  const requireHeader = checkOptions(options);
  const reporter = createListenReporter(chooseListenReporterKind(options), deps, `provider ${options.provider}, manifest ${options.out}`);
  const emit = (event: ListenEvent) => reporter.emit(event);
  const warn = (message: string) => emit({ type: 'warning', message });
  let server: WebhookServer | null = null;
  let journal: Journal | null = null;
  try {
    const secrets = resolveListenSecrets(options, requireHeader, deps, warn);
    const manifest = path.resolve(deps.cwd, options.out);
    const untilDone = options.untilDone === undefined ? null : path.resolve(deps.cwd, options.untilDone);
    const opened = await Journal.open(manifest, { onWarning: warn });
    journal = opened.journal;
    const index = opened.index;
    const hashes = await readContentHashes(manifest);
    const pending = untilDone === null ? null : await PendingJobs.open(index, untilDone === manifest ? null : untilDone, deps.now);
    let poke = () => {};
    server = await startWebhookServer({
      host: options.host,
      port: options.port,
      writer: new ManifestWriter(opened.journal),
      index,
      provider: options.provider,
      verify: makeVerifier({ provider: options.provider, secrets, requireHeader, nowSeconds: () => Math.floor(deps.now() / 1000) }),
      forwardTo: options.forwardTo,
      sha256Of: (jobId) => hashes.get(jobId),
      limits: options.serverLimits,
      now: deps.now,
      ...reportingTo(emit, () => poke()),
    });
    emit({ type: 'ready', url: server.url });
    if (pending && pending.unresolved > 0) {
      warn(`${pending.unresolved} jobs of ${options.untilDone} were never given a job id by the provider; no delivery can finish them (run submit again to resolve them)`);
    }
    const waiting = waitForStop(deps.signal, options.timeoutMs, pending, warn);
    poke = waiting.poke;
    const stop = await waiting.stopped;

    await server.close(options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
    await opened.journal.close();
    await pending?.settle(warn);
    const stats = server.stats;
    const summary: ListenSummary = {
      url: server.url,
      ...stats,
      pending: pending ? pending.size : null,
      interrupted: isSignalStop(stop),
      timed_out: stop === 'timeout',
      exit_code: stop === 'done' ? ExitCode.Ok : exitCodeForStop(stop),
      manifest: options.out,
    };
    emit({ type: 'summary', summary });
    return { exitCode: summary.exit_code, summary };
  } finally {
    reporter.close();
    await server?.close(0).catch(() => {});
    await journal?.close().catch(() => {});
  }
}

/** The receiver's reports as listen's events; `stored` is called after each delivery (for --until-done). */
function reportingTo(emit: (event: ListenEvent) => void, stored: () => void): Pick<WebhookServerOptions, 'onDelivery' | 'onEvent' | 'onRejected' | 'onForward' | 'onStoreError'> {
  return {
    onDelivery: (d, outcome) => {
      const error = deliveryFailure(d);
      emit({ type: 'delivery', provider: d.provider, job_id: d.jobId, event_id: d.eventId, status: d.status, outcome, ...(error ? { error } : {}) });
      stored();
    },
    onEvent: (e) => emit({ type: 'provider_event', provider: e.provider, event: e.type, event_id: e.eventId, low_credit: LOW_CREDIT_EVENTS.has(e.type), data: e.data }),
    onRejected: (r) => emit({ type: 'rejected', status: r.status, provider: r.provider, reason: r.reason }),
    onForward: (r) => emit({ type: 'forward', ...r }),
    onStoreError: (error, d) => {
      const message = `could not store the delivery for ${d.provider} job ${d.jobId} (answered 500, the sender will retry): ${redact(error.message)}`;
      emit({ type: 'error', error: errorInfo(error, message), provider: d.provider, job_id: d.jobId });
    },
  };
}

/** Usage mistakes, caught before anything is opened; returns the parsed --require-header. */
function checkOptions(options: ListenOptions): RequiredHeader | undefined {
  if (options.json && options.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535 (0: any free port)`, `e.g. --port ${DEFAULT_LISTEN_PORT}`);
  }
  if (options.host.trim() === '') throw new UsageError('--host is empty', `e.g. --host ${DEFAULT_LISTEN_HOST}`);
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new UsageError('--timeout must be above 0', 'e.g. --timeout 30m');
  if (options.forwardTo !== undefined) {
    try {
      parseHttpUrl(options.forwardTo);
    } catch (error) {
      throw new UsageError(`--forward-to: ${(error as Error).message}`, 'e.g. --forward-to http://localhost:3000/webhooks');
    }
  }
  return options.requireHeader === undefined ? undefined : parseRequiredHeader(options.requireHeader);
}

function resolveListenSecrets(options: ListenOptions, requireHeader: RequiredHeader | undefined, deps: CommandDeps, warn: (m: string) => void): Map<ProviderName, string> {
  const config = readConfig({ env: deps.env });
  const secrets = resolveSecrets(
    options.provider,
    { flag: options.secret, env: deps.env, configValue: (p) => config.get(`providers.${p}.webhook_secret`), configPath: config.path },
    warn,
  );
  const unsigned = options.provider !== 'auto' && PROVIDER_REGISTRY[options.provider].signing === null;
  if (unsigned && options.secret !== undefined) warn(`${options.provider} signs nothing: --secret is not used (--require-header checks a static header)`);
  if (unsigned && !requireHeader) {
    // On an address other machines reach, anyone who can reach the port could complete known jobs with any text.
    if (!isLoopbackHost(options.host) && !options.allowUnsigned) {
      throw new ConfigError(
        `${options.provider} signs nothing, and --host ${options.host} lets other machines reach the listener: anyone who can reach the port could complete known jobs with text of their choosing`,
        `add --require-header "Name: value" with a header only ${options.provider} sends, bind --host 127.0.0.1 behind a tunnel, or pass --allow-unsigned to accept the risk`,
      );
    }
    warn(`${options.provider} deliveries carry no signature: only jobs already in the manifest are updated; add --require-header if the provider sends one`);
  }
  if (options.provider === 'auto' && secrets.size === 0 && !requireHeader) {
    throw new ConfigError(
      'no webhook secret: every signed delivery would be refused',
      `pass --secret, set ${SECRET_ENV}, or run: ocrq config set providers.<name>.webhook_secret SECRET`,
    );
  }
  return secrets;
}

/** Whether a bind address keeps the listener to this machine (`0.0.0.0` and `::` do the opposite). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/gu, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/u.test(h);
}

/** job id -> sha256, for the rows of jobs the manifest knows (the resume index keeps no hashes). */
async function readContentHashes(manifest: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for await (const { row } of readManifest(manifest, { onTail: () => {} })) {
    if (typeof row.sha256 === 'string') hashes.set(row.job_id, row.sha256);
  }
  return hashes;
}

/** Resolves with how listening ends: --until-done satisfied, --timeout, or a signal. */
function waitForStop(signal: AbortSignal, timeoutMs: number | undefined, pending: PendingJobs | null, warn: (m: string) => void) {
  let poke = () => {};
  const stopped = new Promise<RunStop | 'done'>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let interval: NodeJS.Timeout | undefined;
    const finish = (why: RunStop | 'done') => {
      clearTimeout(timer);
      clearInterval(interval);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = () => finish(signalStop(signal) ?? 'signal:SIGINT');
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => finish('timeout'), timeoutMs);
    if (pending) {
      let checking = false;
      poke = () => {
        if (checking) return;
        checking = true;
        void pending
          .settle(warn)
          .then((done) => done && finish('done'))
          .finally(() => (checking = false));
      };
      interval = setInterval(poke, UNTIL_DONE_CHECK_MS);
      poke();
    }
  });
  return { stopped, poke: () => poke() };
}
