/**
 * Flags → typed options. Commander parses; `normalize*` functions validate and convert, and the command module is
 * imported only when it runs, so `ocrq --help` stays fast.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './errors.js';
import { parseMemoryBudget, PROVIDERS } from './config/keys.js';
import { readStdinValue } from './config/stdin-value.js';
import { DEFAULT_PAGE_SECONDS, DEFAULT_WORKER_MEMORY } from './isolate/budgets.js';
import { formatBytes, parseDuration, parseSize } from './output/format.js';
import type { CommandDeps } from './commands/deps.js';
import type { ConfigAction, ConfigOptions } from './commands/config/index.js';
import { DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_RPS } from './commands/submit/constants.js';
import type { SubmitOptions } from './commands/submit/index.js';
import type { VerifySignatureOptions } from './commands/verify-signature/index.js';
import type { ListenOptions } from './commands/listen/index.js';
import { DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT } from './commands/listen/constants.js';

export const DEFAULT_MANIFEST = 'ocrq-manifest.jsonl';
export const DEFAULT_MAX_FILE_SIZE = '50MB';
export const DEFAULT_DPI = 300;

/** What a command run produced: its exit code (and, for tests, its summary object). */
export interface CommandResult {
  exitCode: number;
  summary?: unknown;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number of at least 0`);
    return n;
  };
}

function duration(name: string) {
  return (value: string) => {
    const ms = parseDuration(value);
    if (ms === null || ms <= 0) throw new InvalidArgumentError(`${name} expects a duration such as 90s, 10m or 1h30m`);
    return ms;
  };
}

function size(value: string): number {
  const n = parseSize(value);
  if (n === null || n <= 0) throw new InvalidArgumentError('expected a size such as 50MB, 1.5GiB or 1048576');
  return n;
}

function memoryBudget(value: string): number {
  try {
    return parseMemoryBudget(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * A secret from a file, or standard input for `-`: the file's content without its final newline. Files keep secrets
 * out of the process list, where a flag's value is visible to every local user.
 */
async function secretFromFile(file: string, flag: string, deps: CommandDeps): Promise<string> {
  let text: string;
  try {
    text = file === '-' ? await readStdinValue(deps.stdin) : await readFile(path.resolve(deps.cwd, file), 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`${flag} ${file}: cannot read it (${reason})`, 'pass a readable file that holds only the secret, or - to read it from standard input');
  }
  const value = text.replace(/\r?\n$/u, '');
  if (value.trim() === '') throw new UsageError(`${flag} ${file}: it holds no secret`, 'put the secret in the file, on one line');
  return value;
}

/**
 * The secret of a command: `--NAME-file` (or stdin), else the flag itself, which prints a one-line notice that other
 * local users can read it in the process list. Undefined when neither is given (the environment or config decide).
 */
async function secretOption(value: string | undefined, file: string | undefined, flag: string, deps: CommandDeps): Promise<string | undefined> {
  if (value !== undefined && file !== undefined) throw new UsageError(`${flag} and ${flag}-file cannot be combined`, 'use one of them');
  if (file !== undefined) return secretFromFile(file, `${flag}-file`, deps);
  if (value !== undefined) {
    deps.stderr.write(`ocrq: note: ${flag} on the command line is visible to other local users in the process list; prefer ${flag}-file, an environment variable or the config file\n`);
  }
  return value;
}

type RawSubmit = {
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
  lang: string;
  langPath?: string;
  dpi: number;
  forceOcr?: boolean;
  out: string;
  csv?: string;
  resultsDir?: string;
  retryFailed?: boolean | string;
  force?: boolean;
  dryRun?: boolean;
  repair?: boolean;
  json?: boolean;
  quiet?: boolean;
};

function listenOptions(raw: RawSubmit): SubmitOptions['listen'] {
  if (raw.listen === undefined || raw.listen === false) {
    if (raw.publicUrl !== undefined || raw.webhookSecret !== undefined) throw new UsageError('--public-url and --webhook-secret need --listen', 'add --listen');
    return undefined;
  }
  const port = raw.listen === true ? DEFAULT_LISTEN_PORT : Number(raw.listen);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--listen ${String(raw.listen)}: not a port`, `e.g. --listen ${DEFAULT_LISTEN_PORT}, or --listen 0 for any free port`);
  return { port, host: raw.host, publicUrl: raw.publicUrl, webhookSecret: raw.webhookSecret, callbackGraceMs: raw.callbackGrace };
}

export function normalizeSubmitOptions(paths: string[], raw: RawSubmit): SubmitOptions {
  if (raw.engine !== undefined && raw.engine !== 'local') throw new UsageError(`unknown engine "${raw.engine}"`, 'the embedded engine is --engine local');
  if (raw.engine !== undefined && raw.provider !== undefined) throw new UsageError('--engine and --provider cannot be combined', 'use --engine local, or --provider NAME');
  if (raw.json && raw.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
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
    engine: raw.engine === 'local' ? 'local' : undefined,
    provider: raw.provider as SubmitOptions['provider'],
    apiKey: raw.apiKey,
    baseUrl: raw.baseUrl,
    providerOptions,
    rps: raw.rps,
    burst: raw.burst,
    concurrency: raw.concurrency,
    retries: raw.retries,
    timeoutMs: raw.timeout,
    noWait: raw.wait === false,
    pollIntervalMs: raw.pollInterval,
    listen: listenOptions(raw),
    workers: raw.workers,
    maxPageSeconds: raw.maxPageSeconds,
    maxWorkerMemory: raw.maxWorkerMemory,
    lang: raw.lang,
    langPath: raw.langPath,
    dpi: raw.dpi,
    forceOcr: Boolean(raw.forceOcr),
    out: raw.out,
    csv: raw.csv,
    resultsDir: raw.resultsDir,
    retryFailed,
    force: Boolean(raw.force),
    dryRun: Boolean(raw.dryRun),
    repair: Boolean(raw.repair),
    json: Boolean(raw.json),
    quiet: Boolean(raw.quiet),
  };
}

export interface CommandRunners {
  submit(options: SubmitOptions, deps: CommandDeps): Promise<CommandResult>;
  exportManifest(options: { manifest: string; format: 'csv' | 'jsonl'; output?: string }, deps: CommandDeps): Promise<CommandResult>;
  status(options: { manifest: string; json: boolean }, deps: CommandDeps): Promise<CommandResult>;
  config(options: ConfigOptions, deps: CommandDeps): Promise<CommandResult>;
  verifySignature(options: VerifySignatureOptions, deps: CommandDeps): Promise<CommandResult>;
  listen(options: ListenOptions, deps: CommandDeps): Promise<CommandResult>;
}

/** The real commands, each imported on first use. */
export const defaultRunners: CommandRunners = {
  async submit(options, deps) {
    const { submit } = await import('./commands/submit/index.js');
    const summary = await submit(options, deps);
    return { exitCode: summary.exit_code, summary };
  },
  async exportManifest(options, deps) {
    const { exportManifest } = await import('./commands/export/index.js');
    return { exitCode: 0, summary: await exportManifest(options, deps) };
  },
  async status(options, deps) {
    const { status } = await import('./commands/status/index.js');
    return { exitCode: 0, summary: await status(options, deps) };
  },
  async config(options, deps) {
    const { config } = await import('./commands/config/index.js');
    return config(options, deps);
  },
  async listen(options, deps) {
    const { listen } = await import('./commands/listen/index.js');
    const summary = await listen(options, deps);
    return { exitCode: summary.exitCode, summary };
  },
  async verifySignature(options, deps) {
    const { verifySignatureCommand } = await import('./commands/verify-signature/index.js');
    const result = await verifySignatureCommand(options, deps);
    return { exitCode: result.exitCode, summary: result };
  },
};

export function buildProgram(deps: CommandDeps, runners: CommandRunners, done: (result: CommandResult) => void): Command {
  const program = new Command('ocrq')
    .description('OCR every document under folders and ZIP archives into a resumable manifest')
    .version(VERSION, '-V, --version')
    .option('--verbose', 'show stack traces for errors')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    });

  program
    .command('submit')
    .description('walk files, folders, globs and ZIP archives (or - for paths on stdin) and OCR every document')
    .argument('[paths...]', 'files, folders, ZIP archives, globs, or - for newline-separated paths on stdin')
    .option('--include <glob>', 'only documents matching this glob (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip files and folders matching this glob (repeatable)', collect, [])
    .option('--max-file-size <size>', 'skip documents larger than this', size, parseSize(DEFAULT_MAX_FILE_SIZE)!)
    .addOption(new Option('--engine <name>', 'the embedded engine (the default when no provider is configured)').choices(['local']))
    .addOption(new Option('--provider <name>', 'submit to a remote OCR API instead').choices([...PROVIDERS]))
    .option('--api-key-file <file>', 'read the provider API key from this file (- = standard input)')
    .option('--api-key <key>', 'provider API key; visible in the process list, prefer --api-key-file, the provider\'s own variable, OCRQ_API_KEY or the config file')
    .option('--base-url <url>', 'provider API base URL, e.g. a test server')
    .option('--option <key=value>', 'provider option, e.g. extractor_id=ext_1 (repeatable)', collect, [])
    .option('--rps <n>', `requests per second to the provider, submits and polls alike (default ${DEFAULT_RPS})`, positiveNumber('--rps'))
    .option('--burst <n>', `requests allowed at once above the rate (default ${DEFAULT_BURST})`, positiveInt('--burst'))
    .option('--concurrency <n>', `provider requests in flight (default ${DEFAULT_CONCURRENCY})`, positiveInt('--concurrency'))
    .option('--retries <n>', 'retries of a failed request (network, 408, 429, 5xx)', nonNegativeInt('--retries'), DEFAULT_RETRIES)
    .option('--timeout <duration>', 'stop waiting for results after this long (e.g. 90s, 10m); pending jobs stay submitted', duration('--timeout'))
    .option('--no-wait', 'submit, record the job ids, and exit without waiting for results')
    .option('--poll-interval <duration>', 'first wait between status polls of a job (grows x1.5 up to 10s)', duration('--poll-interval'))
    .option('--listen [port]', `collect results through a temporary webhook listener (port default ${DEFAULT_LISTEN_PORT}, 0 = any free port)`)
    .option('--host <host>', 'address the listener binds', DEFAULT_LISTEN_HOST)
    .option('--public-url <url>', 'externally reachable base URL sent to the provider as the callback (a tunnel)')
    .option('--webhook-secret-file <file>', 'read the webhook signing secret from this file (- = standard input)')
    .option('--webhook-secret <secret>', 'webhook signing secret; visible in the process list, prefer --webhook-secret-file, OCRQ_WEBHOOK_SECRET or providers.NAME.webhook_secret')
    .option('--callback-grace <duration>', 'poll a job that has had no webhook for this long', duration('--callback-grace'), 60_000)
    .option('--workers <n>', 'document workers, each a process with its own OCR engine (default: number of CPUs)', positiveInt('--workers'))
    .option('--max-page-seconds <n>', `time budget of one page (or image, or a PDF's opening) in a worker (default ${DEFAULT_PAGE_SECONDS})`, positiveNumber('--max-page-seconds'))
    .option('--max-worker-memory <size>', `memory budget of one document worker (default ${formatBytes(DEFAULT_WORKER_MEMORY)})`, memoryBudget)
    .option('--lang <langs>', 'OCR language(s), e.g. eng or eng+deu', 'eng')
    .option('--lang-path <dir>', 'directory holding <lang>.traineddata(.gz) files')
    .option('--dpi <n>', 'render resolution for PDF pages without a text layer', positiveInt('--dpi'), DEFAULT_DPI)
    .option('--force-ocr', 'OCR every PDF page, even those with a text layer')
    .option('-o, --out <file>', 'manifest (JSONL) to write and resume from', DEFAULT_MANIFEST)
    .option('--csv <file>', 'also write the CSV view of the manifest at the end')
    .option('--results-dir <dir>', 'write <job_id>.json and <job_id>.txt for each completed job')
    .option('--retry-failed [codes]', 'process failed documents again (all, or only these comma-separated codes)')
    .option('--force', 'process every document again, even completed ones')
    .option('--dry-run', 'walk, identify and count; report what would be processed; process nothing')
    .option('--repair', 'skip corrupt manifest lines instead of stopping')
    .option('--json', 'print NDJSON events and a final summary on stdout')
    .option('-q, --quiet', 'print only errors')
    .action(async (paths: string[], raw: RawSubmit) => {
      if ([raw.apiKeyFile, raw.webhookSecretFile].includes('-') && paths.includes('-')) {
        throw new UsageError('standard input cannot hold both the paths and a secret', 'pass the secret in a file');
      }
      raw.apiKey = await secretOption(raw.apiKey, raw.apiKeyFile, '--api-key', deps);
      raw.webhookSecret = await secretOption(raw.webhookSecret, raw.webhookSecretFile, '--webhook-secret', deps);
      done(await runners.submit(normalizeSubmitOptions(paths, raw), deps));
    });

  program
    .command('export')
    .description('write the folded manifest (one row per job) as CSV or JSONL')
    .argument('<manifest>', 'manifest file')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('jsonl'))
    .option('-o, --output <file>', 'write here (atomically) instead of stdout')
    .action(async (manifest: string, raw: { format: 'csv' | 'jsonl'; output?: string }) => {
      done(await runners.exportManifest({ manifest, format: raw.format, output: raw.output }, deps));
    });

  program
    .command('status')
    .description('counts by status, failures by code, and pending jobs of a manifest')
    .argument('<manifest>', 'manifest file')
    .option('--json', 'print a JSON object')
    .action(async (manifest: string, raw: { json?: boolean }) => {
      done(await runners.status({ manifest, json: Boolean(raw.json) }, deps));
    });

  program
    .command('merge')
    .description('join the manifests of runs over parts of one batch (shards) into one: one job per content, sources united')
    .argument('<manifests...>', 'manifest files, folders of them, or quoted globs')
    .requiredOption('-o, --out <file>', 'the merged manifest (written atomically; never one of the inputs)')
    .option('--csv <file>', 'also write the CSV view of the merged manifest')
    .option('--json', 'print NDJSON: one line per input manifest, then the summary')
    .option('-q, --quiet', 'print only errors')
    .action(async (inputs: string[], raw: { out: string; csv?: string; json?: boolean; quiet?: boolean }) => {
      const { mergeCommand } = await import('./commands/merge/index.js');
      done(await mergeCommand({ inputs, out: raw.out, csv: raw.csv, json: Boolean(raw.json), quiet: Boolean(raw.quiet) }, deps));
    });

  program
    .command('listen')
    .description('receive provider webhooks: verify, store durably in the manifest, then answer 2xx')
    .option('--port <n>', 'port to listen on (0 = any free port)', nonNegativeInt('--port'), DEFAULT_LISTEN_PORT)
    .option('--host <host>', 'address to bind', DEFAULT_LISTEN_HOST)
    .addOption(new Option('--provider <name>', 'whose deliveries these are (auto: recognise by header and payload)').choices(['auto', ...PROVIDERS]).default('auto'))
    .option('--secret-file <file>', 'read the webhook signing secret from this file (- = standard input)')
    .option('--secret <secret>', 'webhook signing secret; visible in the process list, prefer --secret-file, OCRQ_WEBHOOK_SECRET or providers.NAME.webhook_secret')
    .option('--require-header <header>', '"Name: value" a provider that signs nothing must send')
    .option('--allow-unsigned', 'accept deliveries of a provider that signs nothing on an address other machines reach, without --require-header')
    .option('-o, --out <file>', 'manifest to append deliveries to', DEFAULT_MANIFEST)
    .option('--forward-to <url>', 'relay each verified delivery (raw body and headers) to a local app')
    .option('--until-done <manifest>', 'exit 0 once every job of this manifest is completed or failed')
    .option('--timeout <duration>', 'exit 7 when this runs out', duration('--timeout'))
    .option('--json', 'print NDJSON events (the first is {"type":"ready","url":…})')
    .option('-q, --quiet', 'print only errors')
    .action(async (raw: { port: number; host: string; provider: string; secret?: string; secretFile?: string; requireHeader?: string; allowUnsigned?: boolean; out: string; forwardTo?: string; untilDone?: string; timeout?: number; json?: boolean; quiet?: boolean }) => {
      if (raw.json && raw.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
      raw.secret = await secretOption(raw.secret, raw.secretFile, '--secret', deps);
      done(
        await runners.listen(
          {
            port: raw.port,
            host: raw.host,
            provider: raw.provider as ListenOptions['provider'],
            secret: raw.secret,
            requireHeader: raw.requireHeader,
            allowUnsigned: Boolean(raw.allowUnsigned),
            out: raw.out,
            forwardTo: raw.forwardTo,
            untilDone: raw.untilDone,
            timeoutMs: raw.timeout,
            json: Boolean(raw.json),
            quiet: Boolean(raw.quiet),
          },
          deps,
        ),
      );
    });

  program
    .command('verify-signature')
    .description('check a webhook signature over a raw body (FILE or stdin): prints valid or invalid: <reason>')
    .argument('[file]', 'the raw body; - or nothing reads stdin')
    .option('--secret-file <file>', 'read the signing secret from this file')
    .option('--secret <secret>', 'signing secret; visible in the process list, prefer --secret-file or OCRQ_WEBHOOK_SECRET')
    .addOption(new Option('--provider <name>', "use the provider's scheme and headers").choices([...PROVIDERS]))
    .addOption(new Option('--scheme <scheme>', 'signature scheme').choices(['hmac-sha256-hex', 'hmac-sha256-hex-timestamped', 'hmac-sha256-base64', 'standard-webhooks', 'stripe']))
    .option('--signature <sig>', 'the signature value (a bare signature means hmac-sha256-hex)')
    .option('--header <header>', 'a request header, "Name: value" (repeatable)', collect, [])
    .option('--tolerance <seconds>', 'timestamp tolerance for standard-webhooks and stripe', positiveNumber('--tolerance'))
    .action(async (file: string | undefined, raw: { secret?: string; secretFile?: string; provider?: string; scheme?: string; signature?: string; header: string[]; tolerance?: number }) => {
      // The body may come from standard input, so the secret file may not.
      if (raw.secretFile === '-' && (file === undefined || file === '-')) throw new UsageError('standard input holds the body; the secret cannot come from it too', 'pass the secret in a file');
      raw.secret = await secretOption(raw.secret, raw.secretFile, '--secret', deps);
      done(
        await runners.verifySignature(
          {
            secret: raw.secret,
            provider: raw.provider as VerifySignatureOptions['provider'],
            scheme: raw.scheme as VerifySignatureOptions['scheme'],
            signature: raw.signature,
            headers: raw.header,
            toleranceSeconds: raw.tolerance,
            file,
          },
          deps,
        ),
      );
    });

  program
    .command('config')
    .description('persistent defaults: API keys per provider, base URLs, rps (keys are never printed in full)')
    .addArgument(new Argument('<action>', 'what to do').choices(['get', 'set', 'unset', 'list', 'path']))
    .argument('[key]', 'e.g. providers.ocrqueen.api_key, defaults.rps')
    .argument('[value]', 'value for set; - reads it from stdin (keeps keys out of shell history)')
    .option('--json', 'print JSON')
    .action(async (action: ConfigAction, key: string | undefined, value: string | undefined, raw: { json?: boolean }) => {
      done(await runners.config({ action, key, value, json: Boolean(raw.json) }, deps));
    });

  return program;
}

export const VERSION = '0.1.0';
