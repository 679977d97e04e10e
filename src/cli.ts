/**
 * Flags → a command. Commander parses the flags; each command's own `options.ts` checks and converts them (and reads
 * secrets from files); the command module is imported only when it runs, so `ocrq --help` stays fast.
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { PAGE_SEGMENTATIONS, parseConfidence, parseMemoryBudget } from './config/keys.js';
import { DEFAULT_MIN_CONFIDENCE } from './targets/local/confidence.js';
import { DEFAULT_PSM } from './targets/local/page-segmentation.js';
import { PROVIDERS } from './providers/registry.js';
import { DEFAULT_PAGE_SECONDS, DEFAULT_WORKER_MEMORY } from './isolate/budgets.js';
import { formatBytes, parseDuration, parseSize } from './output/format.js';
import type { CommandDeps } from './commands/deps.js';
import type { ResultsLayout } from './manifest/result-files.js';
import { configOptions, type ConfigAction, type ConfigFlags, type ConfigOptions } from './commands/config/options.js';
import { exportOptions, type ExportFlags, type ExportOptions } from './commands/export/options.js';
import { listenOptions, type ListenFlags, type ListenOptions } from './commands/listen/options.js';
import { mergeOptions, type MergeFlags, type MergeOptions } from './commands/merge/options.js';
import { repairOptions, type RepairFlags, type RepairOptions } from './commands/repair/options.js';
import { statusOptions, type StatusFlags, type StatusOptions } from './commands/status/options.js';
import { submitOptions, type SubmitFlags, type SubmitOptions } from './commands/submit/options.js';
import { verifySignatureOptions, type VerifySignatureFlags, type VerifySignatureOptions } from './commands/verify-signature/options.js';
import { DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_RPS } from './http/pacing/policy.js';
import { DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT } from './commands/listen/constants.js';

export const DEFAULT_MANIFEST = 'ocrq-manifest.jsonl';
export const DEFAULT_MAX_FILE_SIZE = '50MB';
export const DEFAULT_DPI = 300;

/** What a command run produced (see commands/result.ts); a runner may leave the summary out. */
export interface CommandResult {
  exitCode: number;
  summary?: unknown;
}

const collect = (value: string, previous: string[]) => [...previous, value];
/** A repeated folder flag, joined like PATH. */
const collectFolders = (value: string, previous: string | undefined) => (previous === undefined ? value : `${previous}${path.delimiter}${value}`);

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

function confidence(value: string): number {
  try {
    return parseConfidence(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function memoryBudget(value: string): number {
  try {
    return parseMemoryBudget(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Each command, given its options: the same contract for all, `{ exitCode, summary }`. */
export interface CommandRunners {
  submit(options: SubmitOptions, deps: CommandDeps): Promise<CommandResult>;
  exportManifest(options: ExportOptions, deps: CommandDeps): Promise<CommandResult>;
  status(options: StatusOptions, deps: CommandDeps): Promise<CommandResult>;
  repair(options: RepairOptions, deps: CommandDeps): Promise<CommandResult>;
  merge(options: MergeOptions, deps: CommandDeps): Promise<CommandResult>;
  config(options: ConfigOptions, deps: CommandDeps): Promise<CommandResult>;
  verifySignature(options: VerifySignatureOptions, deps: CommandDeps): Promise<CommandResult>;
  listen(options: ListenOptions, deps: CommandDeps): Promise<CommandResult>;
}

/** The real commands, each imported on first use. */
export const defaultRunners: CommandRunners = {
  async submit(options, deps) {
    return (await import('./commands/submit/index.js')).submit(options, deps);
  },
  async exportManifest(options, deps) {
    return (await import('./commands/export/index.js')).exportManifest(options, deps);
  },
  async status(options, deps) {
    return (await import('./commands/status/index.js')).status(options, deps);
  },
  async merge(options, deps) {
    return (await import('./commands/merge/index.js')).mergeCommand(options, deps);
  },
  async repair(options, deps) {
    return (await import('./commands/repair/index.js')).repair(options, deps);
  },
  async config(options, deps) {
    return (await import('./commands/config/index.js')).config(options, deps);
  },
  async listen(options, deps) {
    return (await import('./commands/listen/index.js')).listen(options, deps);
  },
  async verifySignature(options, deps) {
    return (await import('./commands/verify-signature/index.js')).verifySignatureCommand(options, deps);
  },
};

export function buildProgram(given: CommandDeps, runners: CommandRunners, done: (result: CommandResult) => void): Command {
  // The commands' view of the process: --no-color reaches them as NO_COLOR (no-color.org), which every reporter honours.
  const deps: CommandDeps = { ...given };
  const program = new Command('ocrq')
    .description('OCR every document under folders and ZIP archives into a resumable manifest')
    .version(VERSION, '-V, --version')
    .option('--verbose', 'show stack traces for errors')
    .option('--no-color', 'no colour and no terminal control codes in the output (as NO_COLOR=1 does)')
    .hook('preAction', () => {
      if (program.opts().color === false) deps.env = { ...given.env, NO_COLOR: '1' };
    })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
      // Commander's own messages start "error: "; every error ocrq prints starts "ocrq: error: ".
      outputError: (s, write) => write(`ocrq: ${s}`),
    });

  program
    .command('submit')
    .description('walk files, folders, globs and ZIP archives (or - for paths on stdin) and OCR every document')
    .argument('[paths...]', 'files, folders, ZIP archives, globs, or - for newline-separated paths on stdin')
    .option('--include <glob>', 'only documents (files, ZIP entries by their path inside the archive) matching this glob, or in an archive it matches (repeatable)', collect, [])
    .option('--exclude <glob>', 'leave out files, folders, whole archives and ZIP entries matching this glob (repeatable)', collect, [])
    .option('--max-file-size <size>', 'skip documents larger than this', size, parseSize(DEFAULT_MAX_FILE_SIZE)!)
    .addOption(new Option('--engine <name>', "local: the embedded engine (the default when no provider is configured); native: the system's tesseract 4.1+ (OCRQ_TESSERACT names another binary); auto: native when installed").choices(['local', 'native', 'auto']))
    .addOption(new Option('--provider <name>', 'submit to a remote OCR API instead').choices([...PROVIDERS]))
    .option('--api-key-file <file>', 'read the provider API key from this file (- = standard input)')
    .option('--api-key <key>', 'provider API key; visible in the process list, prefer --api-key-file, the provider\'s own variable, OCRQ_API_KEY or the config file')
    .option('--base-url <url>', 'provider API base URL, e.g. a test server')
    .option('--option <key=value>', 'provider option, e.g. extractor_id=ext_1 (repeatable)', collect, [])
    .option('--rps <n>', `requests per second to the provider, submits and polls alike (default ${DEFAULT_RPS})`, positiveNumber('--rps'))
    .option('--burst <n>', `requests allowed at once above the rate (default ${DEFAULT_BURST})`, positiveInt('--burst'))
    .option('--concurrency <n>', `provider requests in flight (default ${DEFAULT_CONCURRENCY})`, positiveInt('--concurrency'))
    .option('--shard <K/N>', 'take only part K of N of the inputs (K from 0), chosen from their paths, e.g. 0/4; merge the shards\' manifests with ocrq merge')
    .addOption(new Option('--shard-budget <mode>', 'under --shard: --rps, --burst and --concurrency are the totals of all shards, each taking 1/N (total), or this shard\'s own (per-shard)').choices(['total', 'per-shard']))
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
    .option('--min-confidence <n>', `mark OCRed pages whose mean word confidence is below this (0-100) as low confidence (default ${DEFAULT_MIN_CONFIDENCE})`, confidence)
    .option('--rotate', 'detect the orientation of each OCRed page and turn it upright before reading it (slower)')
    .option('--no-rotate', 'read pages as they are (the default)')
    .addOption(
      new Option('--psm <mode>', `how the engine finds the text on a page: auto (layout analysis: columns, forms, receipts) or block (one block of text) (default ${DEFAULT_PSM})`).choices([...PAGE_SEGMENTATIONS]),
    )
    .option('--lang <langs>', 'OCR language(s), e.g. eng or eng+deu', 'eng')
    .option('--lang-path <dir>', `folder of <lang>.traineddata(.gz) files, searched before installed @tesseract.js-data/<lang> packages (repeatable, or several joined with ${path.delimiter})`, collectFolders)
    .option('--dpi <n>', 'render resolution for PDF pages without a text layer', positiveInt('--dpi'), DEFAULT_DPI)
    .option('--force-ocr', 'OCR every PDF page, even those with a text layer')
    .option('-o, --out <file>', 'manifest (JSONL) to write and resume from', DEFAULT_MANIFEST)
    .option('--csv <file>', 'also write the CSV view of the manifest at the end')
    .option('--results-dir <dir>', 'write <source>.txt and <source>.json for each completed document (see --results-layout)')
    .addOption(new Option('--results-layout <layout>', 'lay --results-dir out by source path (the default), or by job id: <job_id>.txt').choices(['source', 'job'] satisfies ResultsLayout[]))
    .addOption(new Option('--csv-text <what>', "what the CSV's text column holds: the text (the default), or the path of its file in --results-dir").choices(['text', 'path']))
    .option('--retry-failed [codes]', 'process failed documents again (all, or only these comma-separated codes)')
    .option('--force', 'process every document again, even completed ones')
    .option('--dry-run', 'walk, identify and count; report what would be processed; process nothing')
    .option('--repair', 'first move corrupt manifest lines to MANIFEST.corrupt, as ocrq repair does (with --dry-run: skip them)')
    .option('--json', 'print NDJSON events and a final summary on stdout')
    .option('-q, --quiet', 'print only errors')
    .action(async (paths: string[], flags: SubmitFlags) => {
      done(await runners.submit(await submitOptions(paths, flags, deps), deps));
    });

  program
    .command('export')
    .description('write the folded manifest (one row per job) as CSV or JSONL')
    .argument('[manifest]', 'manifest file', DEFAULT_MANIFEST)
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('jsonl'))
    .option('-o, --output <file>', 'write here (atomically) instead of stdout')
    .option('--repair', 'skip corrupt manifest lines (with a warning) instead of stopping; ocrq repair removes them for good')
    .option('--low-confidence', 'only documents with at least one page of low OCR confidence')
    .action(async (manifest: string, flags: ExportFlags) => {
      done(await runners.exportManifest(exportOptions(manifest, flags), deps));
    });

  program
    .command('status')
    .description('counts by status, failures by code, and pending jobs of a manifest')
    .argument('[manifest]', 'manifest file', DEFAULT_MANIFEST)
    .option('--json', 'print a JSON object')
    .option('--repair', 'skip corrupt manifest lines (with a warning) instead of stopping; ocrq repair removes them for good')
    .action(async (manifest: string, flags: StatusFlags) => {
      done(await runners.status(statusOptions(manifest, flags), deps));
    });

  program
    .command('repair')
    .description('move corrupt manifest lines to MANIFEST.corrupt and rewrite the manifest without them')
    .argument('[manifest]', 'manifest file', DEFAULT_MANIFEST)
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'print only errors')
    .action(async (manifest: string, flags: RepairFlags) => {
      done(await runners.repair(repairOptions(manifest, flags), deps));
    });

  program
    .command('merge')
    .description('join the manifests of shards (submit --shard K/N) into one: one job per content, sources united')
    .argument('<manifests...>', 'manifest files, folders of them, or quoted globs')
    .requiredOption('-o, --out <file>', 'the merged manifest (written atomically; never one of the inputs)')
    .option('--csv <file>', 'also write the CSV view of the merged manifest')
    .option('--json', 'print NDJSON: one line per input manifest, then the summary')
    .option('-q, --quiet', 'print only errors')
    .action(async (inputs: string[], flags: MergeFlags) => {
      done(await runners.merge(mergeOptions(inputs, flags), deps));
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
    .action(async (flags: ListenFlags) => {
      done(await runners.listen(await listenOptions(flags, deps), deps));
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
    .action(async (file: string | undefined, flags: VerifySignatureFlags) => {
      done(await runners.verifySignature(await verifySignatureOptions(file, flags, deps), deps));
    });

  program
    .command('config')
    .description('persistent defaults: API keys per provider, base URLs, rps (keys are never printed in full)')
    .addArgument(new Argument('<action>', 'what to do').choices(['get', 'set', 'unset', 'list', 'path']))
    .argument('[key]', 'e.g. providers.ocrqueen.api_key, defaults.rps')
    .argument('[value]', 'value for set; - reads it from stdin (keeps keys out of shell history)')
    .option('--json', 'print JSON')
    .action(async (action: ConfigAction, key: string | undefined, value: string | undefined, flags: ConfigFlags) => {
      done(await runners.config(configOptions(action, key, value, flags), deps));
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(ocrq completion bash)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { completionScript } = await import('./completion.js');
      const { writeToStream } = await import('./manifest/write-stream.js');
      await writeToStream(deps.stdout, (async function* () {
        yield completionScript(program, shell);
      })());
      done({ exitCode: 0, summary: { shell } });
    });

  return program;
}

export const VERSION = '0.1.0';
