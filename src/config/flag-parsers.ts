/**
 * How a flag's text becomes its value. Each throws commander's InvalidArgumentError with a message that names the
 * flag; an environment variable or config value goes through the same function (settings.ts words the error).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration, parseSize } from '../output/format.js';
import { parseConfidence, parseMemoryBudget } from './parsers.js';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Numbers as flags, variables and the config file all take them: decimal digits, with a fraction where allowed. */
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (!WHOLE.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (!DECIMAL.test(value.trim()) || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0, in digits such as 5 or 0.5, not ${JSON.stringify(value)}`);
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (!WHOLE.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number of at least 0, not ${JSON.stringify(value)}`);
    return n;
  };
}

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
