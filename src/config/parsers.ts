/**
 * How a setting's text becomes its value, whichever source it came from (`ocrq config set`, an environment variable,
 * the config file). Messages name neither the key nor the source (callers add that) and quote only non-secret values.
 */
import { UsageError } from '../errors.js';
import { parseSize } from '../output/format.js';
import { isProviderName, PROVIDERS, type ProviderName } from '../providers/registry.js';
import { parseShard } from '../shard/index.js';
import { MAX_SECRET_LENGTH } from '../signature/types.js';

export const MAX_URL_LENGTH = 2048;


export function parsePositiveNumber(value: string): number {
  const s = value.trim();
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`expected a positive number, got ${quote(s)}`, 'use a number above 0, such as 5 or 0.5');
  }
  return n;
}

export function parsePositiveInteger(value: string): number {
  const s = value.trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`expected a positive whole number, got ${quote(s)}`, 'use a whole number above 0, such as 4');
  }
  return n;
}

/** A whole number, 0 or more, in decimal digits. */
export function parseWholeNumber(value: string): number {
  const s = value.trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) {
    throw new UsageError(`expected a whole number, got ${quote(s)}`, 'use a whole number, such as 0 or 4');
  }
  return n;
}

/** A confidence threshold: a number from 0 (no page is low) to 100. */
export function parseConfidence(value: string): number {
  const s = value.trim();
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(n) || n > 100) {
    throw new UsageError(`expected a confidence from 0 to 100, got ${quote(s)}`, 'use a number from 0 to 100, such as 50');
  }
  return n;
}

const SWITCH_VALUES: Record<string, boolean> = { true: true, false: false, on: true, off: false, yes: true, no: false, '1': true, '0': false };

/** An on/off setting: true, false, on, off, yes, no, 1 or 0. */
export function parseSwitch(value: string): boolean {
  const s = value.trim().toLowerCase();
  const on = SWITCH_VALUES[s];
  if (on === undefined) throw new UsageError(`expected true or false, got ${quote(value.trim())}`, 'use true or false');
  return on;
}

/** How Tesseract finds the text on a page: its layout analysis (`auto`) or the whole page as one block (`block`). */
export const PAGE_SEGMENTATIONS = ['auto', 'block'] as const;
export type PageSegmentation = (typeof PAGE_SEGMENTATIONS)[number];

/** A page segmentation mode: auto or block. */
export function parsePageSegmentation(value: string): PageSegmentation {
  const s = value.trim().toLowerCase();
  const mode = PAGE_SEGMENTATIONS.find((m) => m === s);
  if (!mode) throw new UsageError(`expected auto or block, got ${quote(value.trim())}`, 'use auto (columns, forms, receipts) or block (one block of text)');
  return mode;
}

/** A shard as stored in the config file: `K/N`, checked as `--shard` is. */
export function parseShardSetting(value: string): string {
  const { index, count } = parseShard(value);
  return `${index}/${count}`;
}

/** What --rps, --burst and --concurrency mean under --shard: the totals of all N shards, or each shard's own. */
export const SHARD_BUDGETS = ['total', 'per-shard'] as const;
export type ShardBudget = (typeof SHARD_BUDGETS)[number];

export function parseShardBudget(value: string): ShardBudget {
  const s = value.trim();
  if (!(SHARD_BUDGETS as readonly string[]).includes(s)) {
    throw new UsageError(`expected total or per-shard, got ${quote(s)}`, 'use total (the figures are for all shards together, each takes 1/N) or per-shard');
  }
  return s as ShardBudget;
}

/** Smallest worker memory budget: a document worker with its OCR engine needs about this much before any page. */
export const MIN_WORKER_MEMORY = 256 * 1024 * 1024;

/** A memory budget such as `1GiB` or `768MB` (binary units), at least MIN_WORKER_MEMORY; returned in bytes. */
export function parseMemoryBudget(value: string): number {
  const s = value.trim();
  const n = parseSize(s);
  if (n === null) throw new UsageError(`expected a size such as 1GiB or 768MB, got ${quote(s)}`, 'use a size with a unit: 768MB, 1GiB, 2GiB');
  if (n < MIN_WORKER_MEMORY) throw new UsageError(`${quote(s)} is too small for a document worker`, 'use at least 256MB');
  return n;
}

export function parseProviderName(value: string): ProviderName {
  const s = value.trim();
  if (!isProviderName(s)) throw new UsageError(`unknown provider ${quote(s)}`, `use one of: ${PROVIDERS.join(', ')}`);
  return s;
}

export function parseHttpUrl(value: string): string {
  const s = value.trim();
  let url: URL;
  try {
    if (s.length > MAX_URL_LENGTH) throw new Error('too long');
    url = new URL(s);
  } catch {
    throw new UsageError(`expected an http(s) URL, got ${quote(s)}`, 'use a full URL such as https://api.example.com/v1');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`expected an http(s) URL, got ${quote(s)}`, 'use a full URL such as https://api.example.com/v1');
  }
  // Base URLs are printed in full (list, logs); credentials in one would leak.
  if (url.username || url.password) {
    throw new UsageError('the URL holds credentials', 'remove user:password@ from the URL and set the api_key instead');
  }
  return s;
}

/** Trims surrounding whitespace; refuses empty values and anything that cannot be sent in an HTTP header. */
export function parseSecret(value: string): string {
  const s = value.trim();
  if (s === '') throw new UsageError('the value is empty', 'give the full key or secret');
  if (s.length > MAX_SECRET_LENGTH) {
    throw new UsageError(`the value is longer than ${MAX_SECRET_LENGTH} characters`, 'give the key itself, not a file');
  }
  if (!/^[\x21-\x7e]+$/.test(s)) {
    throw new UsageError(
      'the value holds spaces, line breaks or non-ASCII characters',
      'copy the key again; it is a single word of printable ASCII characters',
    );
  }
  return s;
}

/** Quotes a non-secret value for a message, with control characters escaped and length capped. */
function quote(s: string): string {
  const capped = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return JSON.stringify(capped);
}
