import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, defaultRunners } from '../../src/cli.js';
import { CONFIG_KEYS } from '../../src/config/keys.js';
import { configKeyOf, DEFAULT_ROTATE, envName, FLAG_ONLY, isFlagOnly, SETTINGS, type CommandName } from '../../src/config/settings.js';
import { durationLabel, sizeLabel } from '../../src/config/flag-parsers.js';
import { EXIT_CODES } from '../../src/exit-code.js';
import { DEFAULT_ROTATE as ENGINE_DEFAULT_ROTATE } from '../../src/isolate/ocr/orientation.js';
import { parseDuration, parseSize } from '../../src/output/format.js';
import { captureIo } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/tmp.js';

const program = buildProgram(captureIo('/').deps, defaultRunners, () => {});
const commands: Command[] = [program, ...program.commands];
/** Every flag of every command, as `--name` without the `no-` of a negation that has a positive form. */
const flags = commands.flatMap((c) =>
  c.options.map((o) => {
    const long = o.long!.slice(2);
    const positive = long.startsWith('no-') && c.options.some((p) => p.long === `--${long.slice(3)}`) ? long.slice(3) : long;
    return { command: (c === program ? '*' : c.name()) as CommandName, flag: positive, option: o };
  }),
);

describe('the settings table', () => {
  it('gives every flag of every command a variable and a config key, or lists it as flag-only with a reason', () => {
    const missing = flags.filter(({ command, flag }) => {
      if (command === ('*' as CommandName)) return !isFlagOnly('submit', flag);
      return !SETTINGS.some((s) => s.name === flag && s.commands.includes(command)) && !isFlagOnly(command, flag);
    });
    expect(missing.map(({ command, flag }) => `${command} --${flag}`)).toEqual([]);
    for (const entry of FLAG_ONLY) expect(entry.why.length).toBeGreaterThan(20);
  });

  it('has no stale rows: every setting and every flag-only name is a flag of some command', () => {
    for (const s of SETTINGS) for (const c of s.commands) expect(flags.some((f) => f.command === c && f.flag === s.name), `${c} --${s.name}`).toBe(true);
    const names = new Set(flags.map((f) => f.flag));
    for (const entry of FLAG_ONLY) for (const f of entry.flags) if (f !== 'help') expect(names.has(f), `--${f}`).toBe(true);
  });

  it('names each variable OCRQ_<FLAG> and each key defaults.<flag>, and ocrq config knows every key', () => {
    expect(envName('max-file-size')).toBe('OCRQ_MAX_FILE_SIZE');
    expect(configKeyOf('max-file-size')).toBe('defaults.max_file_size');
    for (const s of SETTINGS) expect(CONFIG_KEYS).toContain(configKeyOf(s.name));
  });

  it('shows defaults in units the flags themselves accept', () => {
    expect(sizeLabel(50 * 1024 * 1024)).toBe('50MiB');
    expect(sizeLabel(1.5 * 1024 ** 3)).toBe('1.5GiB');
    expect(durationLabel(60_000)).toBe('60s');
    expect(durationLabel(600_000)).toBe('10m');
    expect(durationLabel(7_200_000)).toBe('2h');
    for (const s of SETTINGS) {
      if (s.shown === undefined || typeof s.default !== 'number') continue;
      if (s.flags.includes('<size>')) expect(parseSize(s.shown), s.name).toBe(s.default);
      if (s.flags.includes('<duration>')) expect(parseDuration(s.shown), s.name).toBe(s.default);
    }
    expect(DEFAULT_ROTATE).toBe(ENGINE_DEFAULT_ROTATE);
  });

  it('gives -o one meaning everywhere: the file a command writes (--out)', () => {
    const shortO = flags.filter((f) => f.option.short === '-o');
    expect(shortO.map((f) => f.command).sort()).toEqual(['export', 'listen', 'merge', 'submit']);
    for (const f of shortO) expect(f.option.long).toBe('--out');
    // One meaning per short flag across commands.
    const byShort = new Map<string, Set<string>>();
    for (const f of flags) if (f.option.short) byShort.set(f.option.short, (byShort.get(f.option.short) ?? new Set()).add(f.option.long!));
    for (const [short, longs] of byShort) expect([...longs], short).toHaveLength(1);
  });
});

describe('exit codes', () => {
  it('are the codes and commands of docs/exit-codes.md', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/exit-codes.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| .* \| (.+) \|$/gm)].map((m) => ({
      code: Number(m[1]),
      commands: m[2] === 'all' ? 'all' : [...m[2].matchAll(/`([a-z-]+)/g)].map((c) => c[1]),
    }));
    expect(rows).toEqual(EXIT_CODES.map((e) => ({ code: e.code, commands: e.commands })));
  });
});
