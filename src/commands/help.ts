/**
 * What `ocrq COMMAND --help` shows besides the flags: defaults in the units the flags accept, examples, the
 * environment variables the command reads and its exit codes, all generated from the settings table
 * (config/settings.ts), the key variables of the providers and the exit-code table (exit-code.ts).
 */
import { Help, type Option } from 'commander';
import { CONFIG_DIR_ENV } from '../config/file.js';
import { GLOBAL_KEY_ENV, PROVIDER_KEY_ENV } from '../config/keys.js';
import { configKeyOf, envName, FLAG_ONLY, LIST_SEPARATOR, SETTINGS, settingsOf, type CommandName } from '../config/settings.js';
import { exitCodesOf } from '../exit-code.js';
import { PROVIDERS } from '../providers/registry.js';

/** Variables outside the settings table, by the commands that read them. */
export const OTHER_VARIABLES: ReadonlyArray<{ name: string; what: string; commands: readonly CommandName[] | 'all' }> = [
  ...PROVIDERS.map((p) => ({ name: PROVIDER_KEY_ENV[p], what: `API key for --provider ${p} (before ${GLOBAL_KEY_ENV})`, commands: ['submit'] as const })),
  { name: GLOBAL_KEY_ENV, what: 'API key for any provider without its own variable set', commands: ['submit'] },
  { name: 'OCRQ_WEBHOOK_SECRET', what: 'webhook signing secret (after the flag, before providers.NAME.webhook_secret)', commands: ['submit', 'listen', 'verify-signature'] },
  { name: 'OCRQ_TESSERACT', what: "the system's tesseract for --engine native or auto (a path, or a name on PATH)", commands: ['submit'] },
  { name: 'OCRQ_PROGRESS_INTERVAL_MS', what: 'milliseconds between plain progress lines when stderr is not a terminal', commands: ['submit'] },
  { name: CONFIG_DIR_ENV, what: 'folder of the config file (ocrq config path prints it)', commands: ['submit', 'listen', 'verify-signature', 'config'] },
  { name: 'NO_COLOR', what: 'no colour and no terminal control codes, as --no-color', commands: 'all' },
];

/** A few real command lines per command. */
export const EXAMPLES: Readonly<Record<CommandName, readonly string[]>> = {
  submit: [
    'ocrq submit ./inbox -o run.jsonl',
    "ocrq submit scans.zip --include '*.pdf' --lang eng+deu --dpi 200 --csv run.csv",
    'OCRQ_WORKERS=2 ocrq submit ./inbox --dry-run --json',
    'ocrq submit ./inbox --provider ocrqueen --api-key-file key.txt --rps 2',
  ],
  export: ['ocrq export run.jsonl --format csv -o run.csv', 'ocrq export run.jsonl --low-confidence | jq .source'],
  status: ['ocrq status run.jsonl', 'ocrq status run.jsonl --json | jq .pending'],
  repair: ['ocrq repair run.jsonl', 'ocrq repair run.jsonl --json'],
  merge: ['ocrq merge shard-*.jsonl -o merged.jsonl --csv merged.csv', 'ocrq merge ./shards -o merged.jsonl --json'],
  listen: ['ocrq listen --provider ocrqueen --secret-file secret.txt -o run.jsonl', 'ocrq listen --until-done run.jsonl --timeout 30m'],
  'verify-signature': ['ocrq verify-signature body.json --provider ocrqueen --secret-file secret.txt --header "OCRQueen-Signature: sha256=…"'],
  config: ['ocrq config set defaults.dpi 200', 'ocrq config set providers.ocrqueen.api_key -   # reads the key from stdin', 'ocrq config list --json'],
  completion: ['source <(ocrq completion bash)', 'ocrq completion fish > ~/.config/fish/completions/ocrq.fish'],
};

const indent = (rows: Array<[string, string]>): string => {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`).join('\n');
};

/** The variables `command` reads, each with what it sets. */
export function variablesOf(command: CommandName): Array<[string, string]> {
  const settings = settingsOf(command).map((s): [string, string] => [
    envName(s.name),
    `--${s.name}${s.repeatable ? ` (several separated by "${LIST_SEPARATOR}")` : /[<[]/.test(s.flags) ? '' : ' (true or false)'}`,
  ]);
  const others = OTHER_VARIABLES.filter((v) => v.commands === 'all' || v.commands.includes(command)).map((v): [string, string] => [v.name, v.what]);
  return [...settings, ...others];
}

/** The text after a command's flags in its help. */
export function helpSections(command: CommandName): string {
  const sections = [`Examples:\n${EXAMPLES[command].map((e) => `  $ ${e}`).join('\n')}`];
  const settings = settingsOf(command).length > 0;
  const precedence = settings ? '\n  A flag wins over its variable, which wins over defaults.<flag> in the config file (ocrq config).' : '';
  sections.push(`Environment:${precedence}\n${indent(variablesOf(command))}`);
  sections.push(`Exit codes (docs/exit-codes.md):\n${indent(exitCodesOf(command).map((e) => [String(e.code), e.meaning]))}`);
  return `\n${sections.join('\n\n')}\n`;
}

/**
 * An option's line in help: commander's, except that a default the command works out itself (`--workers`: the
 * number of CPUs) is shown from its description, and an empty list is no default worth showing.
 */
export function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.map((c) => JSON.stringify(c)).join(', ')}`);
  const takesValue = option.required || option.optional;
  const emptyList = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
  if (option.defaultValueDescription !== undefined) extra.push(`default: ${option.defaultValueDescription}`);
  else if (option.defaultValue !== undefined && takesValue && !emptyList) extra.push(`default: ${JSON.stringify(option.defaultValue)}`);
  return extra.length > 0 ? `${option.description} (${extra.join(', ')})` : option.description;
}

/** Commander's help with `optionDescription` above. */
export const helpConfiguration: Partial<Help> = { optionDescription };

/** README's settings and flag-only tables (test/e2e/help.test.ts keeps README.md equal to this). */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const commands = s.commands.join(', ');
    const list = s.repeatable ? ' (several: separated by `:`, `;` on Windows)' : /[<[]/.test(s.flags) ? '' : ' (`true` or `false`)';
    return `| \`--${s.name}\` | ${commands} | \`${envName(s.name)}\`${list} | \`${configKeyOf(s.name)}\` | ${s.shown ?? (s.default === undefined ? '' : String(s.default))} |`;
  });
  const only = FLAG_ONLY.map((f) => `| ${f.flags.map((n) => `\`--${n}\``).join(', ')} | ${f.commands.includes('*') ? 'all' : f.commands.join(', ')} | ${f.why} |`);
  return [
    '| flag | commands | variable | config key | default |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Flag-only (no variable, no config key):',
    '',
    '| flags | commands | why |',
    '|---|---|---|',
    ...only,
  ].join('\n');
}
