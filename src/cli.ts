/**
 * Flags → a command. Commander parses the flags; each command's own `options.ts` checks and converts them (and reads
 * secrets from files); the command module is imported only when it runs, so `ocrq --help` stays fast.
 */
import { Argument, Command, Option } from 'commander';
import { readConfig, type ConfigReader } from './config/file.js';
import { collect } from './config/flag-parsers.js';
import { applySettings, DEFAULT_LISTEN_PORT, DEFAULT_MANIFEST, SETTINGS, settingOptions, type CommandName } from './config/settings.js';
import { PROVIDERS } from './providers/registry.js';
import { helpConfiguration, helpSections } from './commands/help.js';
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

/** What a command run produced (see commands/result.ts); a runner may leave the summary out. */
export interface CommandResult {
  exitCode: number;
  summary?: unknown;
}

/** A command's settings from the table (config/settings.ts), in the order given, between its other flags. */
function setting(command: Command, name: CommandName, ...settings: string[]): Command {
  for (const s of settings) {
    const row = SETTINGS.find((r) => r.name === s && r.commands.includes(name));
    if (!row) throw new Error(`no setting --${s} for ${name}`);
    for (const option of settingOptions(row, name)) command.addOption(option);
  }
  return command;
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
    .hook('preAction', (_program, command) => {
      if (program.opts().color === false) deps.env = { ...given.env, NO_COLOR: '1' };
      // Settings not given as flags come from OCRQ_<FLAG>, then the config file (read only when one is needed).
      let config: ConfigReader | undefined;
      applySettings(command.name() as CommandName, command, deps.env, () => (config ??= readConfig({ env: deps.env })));
    })
    .showSuggestionAfterError()
    .configureHelp(helpConfiguration)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
      // Commander's own messages start "error: "; every error ocrq prints starts "ocrq: error: ".
      outputError: (s, write) => write(`ocrq: ${s}`),
    });

  const submit = program
    .command('submit')
    .description('walk files, folders, globs and ZIP archives (or - for paths on stdin) and OCR every document')
    .argument('[paths...]', 'files, folders, ZIP archives, globs, or - for newline-separated paths on stdin');
  setting(submit, 'submit', 'include', 'exclude', 'max-file-size', 'engine', 'provider')
    .option('--api-key-file <file>', 'read the provider API key from this file (- = standard input)')
    .option('--api-key <key>', 'provider API key; visible in the process list, prefer --api-key-file, the provider\'s own variable, OCRQ_API_KEY or the config file')
    .option('--base-url <url>', 'provider API base URL, e.g. a test server')
    .option('--option <key=value>', 'provider option, e.g. extractor_id=ext_1 (repeatable)', collect, []);
  setting(submit, 'submit', 'rps', 'burst', 'concurrency', 'shard', 'shard-budget', 'retries', 'timeout')
    .option('--no-wait', 'submit, record the job ids, and exit without waiting for results');
  setting(submit, 'submit', 'poll-interval')
    .option('--listen [port]', `collect results through a temporary webhook listener (port default ${DEFAULT_LISTEN_PORT}, 0 = any free port)`);
  setting(submit, 'submit', 'host', 'public-url')
    .option('--webhook-secret-file <file>', 'read the webhook signing secret from this file (- = standard input)')
    .option('--webhook-secret <secret>', 'webhook signing secret; visible in the process list, prefer --webhook-secret-file, OCRQ_WEBHOOK_SECRET or providers.NAME.webhook_secret');
  setting(submit, 'submit', 'callback-grace', 'workers', 'max-page-seconds', 'max-worker-memory', 'min-confidence', 'rotate', 'psm', 'lang', 'lang-path', 'dpi', 'force-ocr', 'out')
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
    .option('-o, --out <file>', 'write here (atomically) instead of stdout')
    // The name export had before -o meant --out in every command; kept so that scripts keep working.
    .addOption(new Option('--output <file>').hideHelp())
    .option('--repair', 'skip corrupt manifest lines (with a warning) instead of stopping; ocrq repair removes them for good')
    .option('--low-confidence', 'only documents with at least one page of low OCR confidence')
    .option('--json', 'with -o: print a JSON summary ({"jobs":N,"output":FILE}) on stdout')
    .option('-q, --quiet', 'print only errors (no warnings)')
    .action(async (manifest: string, flags: ExportFlags) => {
      done(await runners.exportManifest(exportOptions(manifest, flags), deps));
    });

  program
    .command('status')
    .description('counts by status, failures by code, and pending jobs of a manifest')
    .argument('[manifest]', 'manifest file', DEFAULT_MANIFEST)
    .option('--json', 'print a JSON object')
    .option('-q, --quiet', 'print only errors: the exit code says whether the manifest reads')
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

  const listen = program.command('listen').description('receive provider webhooks: verify, store durably in the manifest, then answer 2xx');
  setting(listen, 'listen', 'port', 'host')
    .addOption(new Option('--provider <name>', 'whose deliveries these are (auto: recognise by header and payload)').choices(['auto', ...PROVIDERS]).default('auto'))
    .option('--secret-file <file>', 'read the webhook signing secret from this file (- = standard input)')
    .option('--secret <secret>', 'webhook signing secret; visible in the process list, prefer --secret-file, OCRQ_WEBHOOK_SECRET or providers.NAME.webhook_secret')
    .option('--require-header <header>', '"Name: value" a provider that signs nothing must send')
    .option('--allow-unsigned', 'accept deliveries of a provider that signs nothing on an address other machines reach, without --require-header');
  setting(listen, 'listen', 'out')
    .option('--forward-to <url>', 'relay each verified delivery (raw body and headers) to a local app')
    .option('--until-done <manifest>', 'exit 0 once every job of this manifest is completed or failed');
  setting(listen, 'listen', 'timeout')
    .option('--json', 'print NDJSON events (the first is {"type":"ready","url":…})')
    .option('-q, --quiet', 'print only errors')
    .action(async (flags: ListenFlags) => {
      done(await runners.listen(await listenOptions(flags, deps), deps));
    });

  const verify = program
    .command('verify-signature')
    .description('check a webhook signature over a raw body (FILE or stdin): prints valid or invalid: <reason>')
    .argument('[file]', 'the raw body; - or nothing reads stdin')
    .option('--secret-file <file>', 'read the signing secret from this file')
    .option('--secret <secret>', 'signing secret; visible in the process list, prefer --secret-file or OCRQ_WEBHOOK_SECRET')
    .addOption(new Option('--provider <name>', "use the provider's scheme and headers").choices([...PROVIDERS]))
    .addOption(new Option('--scheme <scheme>', 'signature scheme').choices(['hmac-sha256-hex', 'hmac-sha256-hex-timestamped', 'hmac-sha256-base64', 'standard-webhooks', 'stripe']))
    .option('--signature <sig>', 'the signature value (a bare signature means hmac-sha256-hex)')
    .option('--header <header>', 'a request header, "Name: value" (repeatable)', collect, []);
  setting(verify, 'verify-signature', 'tolerance')
    .option('--json', 'print the result as JSON: {"valid":true} or {"valid":false,"reason":…}')
    .option('-q, --quiet', 'print nothing but errors: the exit code (0 valid, 6 invalid) is the answer')
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
    .option('-q, --quiet', 'print only errors; a value asked for still prints')
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

  program.addHelpText('after', `\nRun ocrq COMMAND --help for its examples, environment variables and exit codes.\n`);
  for (const command of program.commands) command.addHelpText('after', helpSections(command.name() as CommandName));
  return program;
}

export const VERSION = '0.1.0';
