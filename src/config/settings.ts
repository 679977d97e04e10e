/**
 * The one table of ocrq's settings: each flag that is a setting, the commands that take it, its environment variable
 * (`OCRQ_<FLAG>`), its config key (`defaults.<flag>`), its parser and its default as help shows it. cli.ts builds
 * these flags from here, help lists them, `ocrq config` validates its `defaults.*` keys with them, and `applySettings`
 * fills a flag that was not given from the environment or the config file. The flags that are not settings are listed
 * in FLAG_ONLY with the reason. Precedence, one rule for every setting (README "Configuration"):
 * flag > provider-specific variable (API keys only) > OCRQ_<FLAG> > config file > built-in default.
 */
import path from 'node:path';
import { Option } from 'commander';
import { ConfigError } from '../errors.js';
import { DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_RPS } from '../http/pacing/policy.js';
import { DEFAULT_PAGE_SECONDS, DEFAULT_WORKER_MEMORY } from '../isolate/budgets.js';
import { PROVIDERS } from '../providers/registry.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../signature/types.js';
import { collect, confidence, duration, durationLabel, memoryBudget, nonNegativeInt, positiveInt, positiveNumber, size, sizeLabel } from './flag-parsers.js';
import {
  parseConfidence,
  PAGE_SEGMENTATIONS,
  parseMemoryBudget,
  parsePageSegmentation,
  parsePositiveInteger,
  parsePositiveNumber,
  parseProviderName,
  parseShardBudget,
  parseShardSetting,
  parseSwitch,
  SHARD_BUDGETS,
  type PageSegmentation,
} from './parsers.js';
import type { ConfigReader } from './file.js';

export type CommandName = 'submit' | 'export' | 'status' | 'repair' | 'merge' | 'listen' | 'verify-signature' | 'config' | 'completion';

export const DEFAULT_MANIFEST = 'ocrq-manifest.jsonl';
export const DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024;
export const DEFAULT_DPI = 300;
export const DEFAULT_LANG = 'eng';
export const DEFAULT_CALLBACK_GRACE_MS = 60_000;
/** `ocrq listen` and `submit --listen` default to this port and address. */
export const DEFAULT_LISTEN_PORT = 8787;
export const DEFAULT_LISTEN_HOST = '127.0.0.1';
/**
 * Mean word confidence (0-100) below which an OCRed page is marked `low_confidence`. On the quality benchmark
 * (`npm run bench -- quality`, README "Quality") pages read well came out at 93-95, and pages read badly (sideways,
 * upside down, skewed, noisy) or text made of scribbles and noise at 16-60: every threshold from 65 to 90 tells them
 * apart, and this is the middle of that range. At 50, two of those bad pages (51, 60) went unmarked.
 */
export const DEFAULT_MIN_CONFIDENCE = 75;
/**
 * The page segmentation a run uses unless told otherwise: layout analysis, which on the quality benchmark
 * (`npm run bench -- quality`) reads columns in order, keeps a form's boxed values, reads noisy scans better and makes
 * no text of pages without any, at about the same speed (README "Quality").
 */
export const DEFAULT_PSM: PageSegmentation = 'auto';
/** Pages are read as they are unless `--rotate` asks for orientation detection (the same as DEFAULT_ROTATE in isolate/ocr/orientation.ts, checked by a test). */
export const DEFAULT_ROTATE = false;

/** Values of a repeatable setting in one variable or config value are separated like PATH: `:` (`;` on Windows). */
export const LIST_SEPARATOR = path.delimiter;

/** One flag that is a setting, in the commands that take it. */
export interface Setting {
  /** The long flag without dashes: `max-file-size`; `OCRQ_MAX_FILE_SIZE`, `defaults.max_file_size`. */
  name: string;
  commands: readonly CommandName[];
  /** Commander's flags, e.g. `-o, --out <file>`. */
  flags: string;
  description: string;
  /** A flag's value → what the command gets; throws with a message naming the flag. Switches have none. */
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  /** The value the command gets when no source has the setting; undefined: the command decides (see `shown`). */
  default?: unknown;
  /** How help shows the default, in the units the flag accepts (`50MiB`, `60s`). */
  shown?: string;
  /** Given several times; from a variable or the config file, the values are separated by LIST_SEPARATOR. */
  repeatable?: boolean;
  /**
   * For a setting `ocrq config` already stored as a value before this table: its parser, whose result is what the
   * config file holds. Other settings store the text as given, checked with `parse`.
   */
  stored?: (value: string) => unknown;
  /** A `--no-<name>` flag that sets the same switch off, with its description. */
  negation?: string;
  /** Not taken from the environment or the config file when this other flag is on the command line. */
  yieldsTo?: string;
  /** Help's description in one command, when the command words it its own way. */
  describedIn?: Partial<Record<CommandName, string>>;
}

/** A switch from the environment or the config file: true, false, on, off, yes, no, 1 or 0. */
const SWITCH = { stored: parseSwitch } as const;

export const SETTINGS: readonly Setting[] = [
  { name: 'provider', commands: ['submit'], flags: '--provider <name>', description: 'submit to a remote OCR API instead', choices: PROVIDERS, stored: parseProviderName, yieldsTo: 'engine', shown: 'none (the local engine)' },
  {
    name: 'engine',
    commands: ['submit'],
    flags: '--engine <name>',
    description: "local: the embedded engine (the default when no provider is configured); native: the system's tesseract 4.1+ (OCRQ_TESSERACT names another binary); auto: native when installed",
    choices: ['local', 'native', 'auto'],
    yieldsTo: 'provider',
    shown: 'local',
  },
  { name: 'include', commands: ['submit'], flags: '--include <glob>', description: 'only documents (files, ZIP entries by their path inside the archive) matching this glob, or in an archive it matches (repeatable)', parse: (v) => v, repeatable: true, default: [] },
  { name: 'exclude', commands: ['submit'], flags: '--exclude <glob>', description: 'leave out files, folders, whole archives and ZIP entries matching this glob (repeatable)', parse: (v) => v, repeatable: true, default: [] },
  { name: 'max-file-size', commands: ['submit'], flags: '--max-file-size <size>', description: 'skip documents larger than this', parse: size, default: DEFAULT_MAX_FILE_SIZE, shown: sizeLabel(DEFAULT_MAX_FILE_SIZE) },
  { name: 'rps', commands: ['submit'], flags: '--rps <n>', description: 'requests per second to the provider, submits and polls alike', parse: positiveNumber('--rps'), stored: parsePositiveNumber, shown: String(DEFAULT_RPS) },
  { name: 'burst', commands: ['submit'], flags: '--burst <n>', description: 'requests allowed at once above the rate', parse: positiveInt('--burst'), stored: parsePositiveInteger, shown: String(DEFAULT_BURST) },
  { name: 'concurrency', commands: ['submit'], flags: '--concurrency <n>', description: 'provider requests in flight', parse: positiveInt('--concurrency'), stored: parsePositiveInteger, shown: String(DEFAULT_CONCURRENCY) },
  {
    name: 'shard',
    commands: ['submit'],
    flags: '--shard <K/N>',
    description: "take only part K of N of the inputs (K from 0), chosen from their paths, e.g. 0/4; merge the shards' manifests with ocrq merge",
    parse: (v) => v,
    stored: parseShardSetting,
  },
  {
    name: 'shard-budget',
    commands: ['submit'],
    flags: '--shard-budget <mode>',
    description: "under --shard: --rps, --burst and --concurrency are the totals of all shards, each taking 1/N (total), or this shard's own (per-shard)",
    choices: SHARD_BUDGETS,
    stored: parseShardBudget,
    shown: 'total',
  },
  { name: 'retries', commands: ['submit'], flags: '--retries <n>', description: 'retries of a failed request (network, 408, 429, 5xx)', parse: nonNegativeInt('--retries'), default: DEFAULT_RETRIES, shown: String(DEFAULT_RETRIES) },
  {
    name: 'timeout',
    commands: ['submit', 'listen'],
    flags: '--timeout <duration>',
    description: 'stop waiting for results after this long (e.g. 90s, 10m); pending jobs stay submitted',
    describedIn: { listen: 'exit 7 when this runs out' },
    parse: duration('--timeout'),
    shown: 'none',
  },
  { name: 'poll-interval', commands: ['submit'], flags: '--poll-interval <duration>', description: 'first wait between status polls of a job (grows x1.5 up to 10s)', parse: duration('--poll-interval'), shown: "the provider's" },
  { name: 'port', commands: ['listen'], flags: '--port <n>', description: 'port to listen on (0 = any free port)', parse: nonNegativeInt('--port'), default: DEFAULT_LISTEN_PORT, shown: String(DEFAULT_LISTEN_PORT) },
  {
    name: 'host',
    commands: ['submit', 'listen'],
    flags: '--host <host>',
    description: 'address the listener binds',
    describedIn: { listen: 'address to bind' },
    parse: (v) => v,
    default: DEFAULT_LISTEN_HOST,
    shown: DEFAULT_LISTEN_HOST,
  },
  { name: 'public-url', commands: ['submit'], flags: '--public-url <url>', description: 'externally reachable base URL sent to the provider as the callback (a tunnel)', parse: (v) => v },
  { name: 'callback-grace', commands: ['submit'], flags: '--callback-grace <duration>', description: 'poll a job that has had no webhook for this long', parse: duration('--callback-grace'), default: DEFAULT_CALLBACK_GRACE_MS, shown: durationLabel(DEFAULT_CALLBACK_GRACE_MS) },
  { name: 'workers', commands: ['submit'], flags: '--workers <n>', description: 'document workers, each a process with its own OCR engine', parse: positiveInt('--workers'), stored: parsePositiveInteger, shown: 'number of CPUs' },
  { name: 'max-page-seconds', commands: ['submit'], flags: '--max-page-seconds <n>', description: "time budget of one page (or image, or a PDF's opening) in a worker, in seconds", parse: positiveNumber('--max-page-seconds'), stored: parsePositiveNumber, shown: String(DEFAULT_PAGE_SECONDS) },
  { name: 'max-worker-memory', commands: ['submit'], flags: '--max-worker-memory <size>', description: 'memory budget of one document worker', parse: memoryBudget, stored: parseMemoryBudget, shown: sizeLabel(DEFAULT_WORKER_MEMORY) },
  { name: 'min-confidence', commands: ['submit'], flags: '--min-confidence <n>', description: 'mark OCRed pages whose mean word confidence is below this (0-100) as low confidence', parse: confidence, stored: parseConfidence, shown: String(DEFAULT_MIN_CONFIDENCE) },
  {
    name: 'rotate',
    commands: ['submit'],
    flags: '--rotate',
    description: 'detect the orientation of each OCRed page and turn it upright before reading it (slower)',
    negation: 'read pages as they are (the default)',
    ...SWITCH,
    shown: DEFAULT_ROTATE ? 'on' : 'off',
  },
  {
    name: 'psm',
    commands: ['submit'],
    flags: '--psm <mode>',
    description: 'how the engine finds the text on a page: auto (layout analysis: columns, forms, receipts) or block (one block of text)',
    choices: PAGE_SEGMENTATIONS,
    stored: parsePageSegmentation,
    shown: DEFAULT_PSM,
  },
  { name: 'lang', commands: ['submit'], flags: '--lang <langs>', description: 'OCR language(s), e.g. eng or eng+deu', parse: (v) => v, default: DEFAULT_LANG, shown: DEFAULT_LANG },
  {
    name: 'lang-path',
    commands: ['submit'],
    flags: '--lang-path <dir>',
    description: `folder of <lang>.traineddata(.gz) files, searched before installed @tesseract.js-data/<lang> packages (repeatable, or several joined with ${path.delimiter})`,
    parse: (v) => v,
  },
  { name: 'dpi', commands: ['submit'], flags: '--dpi <n>', description: 'render resolution for PDF pages without a text layer', parse: positiveInt('--dpi'), default: DEFAULT_DPI, shown: String(DEFAULT_DPI) },
  { name: 'force-ocr', commands: ['submit'], flags: '--force-ocr', description: 'OCR every PDF page, even those with a text layer', ...SWITCH, shown: 'off' },
  {
    name: 'out',
    commands: ['submit', 'listen'],
    flags: '-o, --out <file>',
    description: 'manifest (JSONL) to write and resume from',
    describedIn: { listen: 'manifest to append deliveries to' },
    parse: (v) => v,
    default: DEFAULT_MANIFEST,
    shown: DEFAULT_MANIFEST,
  },
  { name: 'tolerance', commands: ['verify-signature'], flags: '--tolerance <seconds>', description: 'timestamp tolerance for standard-webhooks and stripe, in seconds', parse: positiveNumber('--tolerance'), shown: String(DEFAULT_TOLERANCE_SECONDS) },
];

/**
 * Flags that are not settings, by command ('*': every command), each with the reason. They have no variable and no
 * config key; README "Configuration" lists them.
 */
export const FLAG_ONLY: ReadonlyArray<{ flags: readonly string[]; commands: readonly (CommandName | '*')[]; why: string }> = [
  { flags: ['help', 'version', 'verbose', 'no-color'], commands: ['*'], why: 'read before the command runs; NO_COLOR=1 does what --no-color does' },
  { flags: ['json', 'quiet'], commands: ['*'], why: 'what a script reads on stdout is chosen by the script on its command line, never inherited' },
  { flags: ['dry-run', 'force', 'retry-failed', 'repair', 'listen', 'no-wait', 'low-confidence'], commands: ['*'], why: 'what this one run does, not a standing preference' },
  {
    flags: ['api-key', 'api-key-file', 'webhook-secret', 'webhook-secret-file', 'secret', 'secret-file'],
    commands: ['*'],
    why: "secrets: the provider's own key variable, OCRQ_API_KEY, OCRQ_WEBHOOK_SECRET and providers.NAME.api_key / webhook_secret",
  },
  { flags: ['base-url', 'option'], commands: ['submit'], why: 'belong to one provider: providers.NAME.base_url in the config file; --option keys differ by provider' },
  { flags: ['csv', 'csv-text', 'results-dir', 'results-layout'], commands: ['submit', 'merge'], why: "files this one run writes besides its manifest, and their layout" },
  { flags: ['out', 'output', 'format'], commands: ['export', 'merge'], why: 'an export or a merge writes a new file each time: a variable would overwrite the same one' },
  { flags: ['provider', 'scheme', 'signature', 'header', 'require-header', 'allow-unsigned', 'forward-to', 'until-done'], commands: ['listen', 'verify-signature'], why: 'which deliveries one listener accepts or one check verifies; OCRQ_PROVIDER chooses where submit sends' },
];

export const envName = (name: string): string => `OCRQ_${name.toUpperCase().replace(/-/g, '_')}`;
export const configKeyOf = (name: string): string => `defaults.${name.replace(/-/g, '_')}`;

export function settingsOf(command: CommandName): Setting[] {
  return SETTINGS.filter((s) => s.commands.includes(command));
}

/** The setting behind a config field (`max_file_size`), or undefined. */
export function settingForField(field: string): Setting | undefined {
  return SETTINGS.find((s) => s.name.replace(/-/g, '_') === field);
}

/** Whether `--<flag>` of `command` is on the flag-only list. */
export function isFlagOnly(command: CommandName, flag: string): boolean {
  return FLAG_ONLY.some((f) => f.flags.includes(flag) && (f.commands.includes('*') || f.commands.includes(command)));
}

/** The commander options of one setting in one command (two for a switch with a negation). */
export function settingOptions(setting: Setting, command: CommandName): Option[] {
  const option = new Option(setting.flags, setting.describedIn?.[command] ?? setting.description);
  if (setting.choices) option.choices(setting.choices);
  if (setting.parse) {
    const parse = setting.parse;
    if (setting.repeatable) option.argParser((v: string, previous: string[]) => collect(parse(v) as string, previous));
    else option.argParser((v: string) => parse(v));
  }
  // A default the command works out itself (`shown` alone) is still shown in help.
  if (setting.default !== undefined || setting.shown !== undefined) option.default(setting.default, setting.shown);
  const options = [option];
  if (setting.negation) options.push(new Option(`--no-${setting.name}`, setting.negation));
  return options;
}

/**
 * A setting's text from the environment or the config file → its value, as the flag would give it; errors name the
 * variable or key and say how to fix it.
 */
export function settingValue(setting: Setting, raw: string, source: string): unknown {
  const text = raw.trim();
  const check = (one: string): unknown => {
    if (setting.stored) return setting.stored(one);
    if (setting.choices) {
      if (!setting.choices.includes(one)) throw new Error(`expected one of ${setting.choices.join(', ')}, got ${JSON.stringify(one)}`);
      return one;
    }
    return setting.parse ? setting.parse(one) : one;
  };
  try {
    if (setting.repeatable) return text.split(LIST_SEPARATOR).map((v) => v.trim()).filter(Boolean).map(check);
    return check(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const fix = (err as { fix?: string }).fix;
    const unset = source.startsWith('OCRQ_') ? `unset ${source}` : `ocrq config unset ${source}`;
    throw new ConfigError(`invalid value in ${source}: ${message}`, fix ? `${fix}; or ${unset}` : `give it a value --${setting.name} accepts, or ${unset}`);
  }
}

/** The value `ocrq config set defaults.<field>` stores: the parsed value for the first settings, else the checked text. */
export function storedValue(setting: Setting, raw: string): unknown {
  if (setting.stored) return setting.stored(raw);
  const value = settingValue(setting, raw, configKeyOf(setting.name));
  return setting.repeatable ? (value as string[]).join(LIST_SEPARATOR) : raw.trim();
}

/** What `applySettings` needs of a command: commander's view of its options' values and where they came from. */
export interface OptionValues {
  options: readonly Option[];
  getOptionValueSource(key: string): string | undefined;
  getOptionValue(key: string): unknown;
  setOptionValueWithSource(key: string, value: unknown, source: 'env' | 'config'): unknown;
}

/**
 * Fills each setting of `command` that is not on its command line from OCRQ_<FLAG> or the config file (read only
 * when needed). A flag given on the command line always wins; so does a `yieldsTo` flag over this one.
 */
export function applySettings(command: CommandName, values: OptionValues, env: NodeJS.ProcessEnv, config: () => ConfigReader): void {
  const fromCli = (attr: string) => values.getOptionValueSource(attr) === 'cli';
  for (const setting of settingsOf(command)) {
    const attr = camel(setting.name);
    if (fromCli(attr) || (setting.yieldsTo && fromCli(camel(setting.yieldsTo)))) continue;
    const name = envName(setting.name);
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') {
      values.setOptionValueWithSource(attr, settingValue(setting, raw, name), 'env');
      continue;
    }
    const key = configKeyOf(setting.name);
    const reader = config();
    const stored = reader.get(key);
    if (stored === undefined || stored === null) continue;
    if (typeof stored !== 'string' && typeof stored !== 'number' && typeof stored !== 'boolean') {
      throw new ConfigError(`${key} in ${reader.path} is not a single value`, `ocrq config set ${key} VALUE, or ocrq config unset ${key}`);
    }
    values.setOptionValueWithSource(attr, settingValue(setting, String(stored), key), 'config');
  }
  // A provider and an engine from different sources: the stronger source wins (flag > environment > config).
  for (const setting of settingsOf(command)) {
    if (!setting.yieldsTo) continue;
    const [mine, theirs] = [camel(setting.name), camel(setting.yieldsTo)];
    if (values.getOptionValue(mine) === undefined || values.getOptionValue(theirs) === undefined) continue;
    if (rank(values.getOptionValueSource(mine)) < rank(values.getOptionValueSource(theirs))) values.setOptionValueWithSource(mine, undefined, 'config');
  }
}

const rank = (source: string | undefined): number => (source === 'cli' ? 3 : source === 'env' ? 2 : source === 'config' ? 1 : 0);

export const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
