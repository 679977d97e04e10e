/**
 * How a flag's text becomes its value. Each throws commander's InvalidArgumentError with a message that names the
 * flag; an environment variable or config value goes through the same function (settings.ts words the error).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration, parseSize } from '../output/format.js';
import { parseConfidence, parseMemoryBudget, parsePositiveInteger, parsePositiveNumber, parseWholeNumber } from './parsers.js';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A number flag, read by the parser its variable and config key use (parsers.ts), so that a number means the same
 * wherever it is written; the message names the flag and the value refused.
 */
function numberFlag(parse: (value: string) => number, wanted: string) {
  return (name: string) =>
    (value: string): number => {
      try {
        return parse(value);
      } catch {
        throw new InvalidArgumentError(`${name} must be ${wanted}, not ${JSON.stringify(value)}`);
      }
    };
}

export const positiveInt = numberFlag(parsePositiveInteger, 'a whole number of at least 1');
export const positiveNumber = numberFlag(parsePositiveNumber, 'a number above 0, in digits such as 5 or 0.5');
export const nonNegativeInt = numberFlag(parseWholeNumber, 'a whole number of at least 0');

export function duration(name: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === null || ms <= 0) throw new InvalidArgumentError(`${name} expects a duration such as 90s, 10m or 1h30m`);
    return ms;
  };
}

export function size(value: string): number {
  const n = parseSize(value);
  if (n === null || n <= 0) throw new InvalidArgumentError('expected a size such as 50MB, 1.5GiB or 1048576');
  return n;
}

export function confidence(value: string): number {
  try {
    return parseConfidence(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function memoryBudget(value: string): number {
  try {
    return parseMemoryBudget(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A size as help shows it: `50MiB`, `896MiB`, `1.5GiB`; the units `--max-file-size` and friends accept. */
export function sizeLabel(bytes: number): string {
  const units = ['GiB', 'MiB', 'KiB'] as const;
  for (const [i, unit] of units.entries()) {
    const scale = 1024 ** (3 - i);
    if (bytes >= scale && (bytes * 10) % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}

/** A duration as help shows it, in the syntax the duration flags accept: `60s`, `10m`, `1h30m`, `250ms`. */
export function durationLabel(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 120 || s % 60 !== 0) return `${s}s`;
  const m = s / 60;
  return m % 60 === 0 ? `${m / 60}h` : `${m}m`;
}
