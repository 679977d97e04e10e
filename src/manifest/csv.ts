/**
 * The CSV view of the folded manifest (docs/manifest.md "The CSV view"): RFC 4180 quoting by csv-stringify, and every cell that
 * a spreadsheet would read as a formula neutralised with a leading `'`.
 */
import { stringify } from 'csv-stringify/sync';
import { basename, dirname, join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from './atomic.js';
import { resultFileBase, sourceResultSegments, type ResultsLayout } from './result-files.js';
import type { ManifestRow } from './types.js';

export { removeStaleTempFiles, writeFileAtomic } from './atomic.js';

export const CSV_COLUMNS: readonly string[] = [
  'job_id',
  'status',
  'source',
  'sha256',
  'target',
  'pages',
  'error_code',
  'error_message',
  'sources',
  'text',
];

/** Records stringified per call: amortises csv-stringify's per-call setup without holding many rows. */
export const CSV_BATCH_ROWS = 256;

const FORMULA_START = /^[=+\-@\t\r]/;

export interface CsvOptions {
  /** When set (`submit --csv-text path`), the `text` column holds the path of the job's text file instead of the text. */
  resultsDir?: string;
  /** The layout of `resultsDir`, for rows that do not record their `text_path`; by job id unless told. */
  resultsLayout?: ResultsLayout;
}

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

function toCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

function sourcesOf(row: ManifestRow): string[] {
  const sources = Array.isArray(row.sources) ? row.sources.filter((s) => typeof s === 'string') : [];
  if (sources.length === 0 && typeof row.source === 'string' && row.source !== '') sources.push(row.source);
  return sources;
}

function textCell(row: ManifestRow, options: CsvOptions): unknown {
  if (options.resultsDir === undefined) return row.text;
  if (typeof row.text_path === 'string') return row.text_path;
  if (typeof row.text !== 'string') return '';
  if (options.resultsLayout === 'source') {
    const segments = typeof row.source === 'string' ? sourceResultSegments(row.source) : null;
    return segments ? `${join(options.resultsDir, ...segments)}.txt` : '';
  }
  return join(options.resultsDir, `${resultFileBase(row.job_id)}.txt`);
}

export function rowToCsvRecord(row: ManifestRow, options: CsvOptions = {}): string[] {
  const error = typeof row.error === 'object' && row.error !== null ? row.error : undefined;
  const cells: unknown[] = [
    row.job_id,
    row.status,
    row.source,
    row.sha256,
    row.target,
    row.pages,
    error?.code,
    error?.message,
    sourcesOf(row).join(';'),
    textCell(row, options),
  ];
  return cells.map((cell) => neutraliseFormula(toCell(cell)));
}

/** The CSV text, header first, in chunks of up to CSV_BATCH_ROWS records. */
export async function* csvChunks(
  rows: Iterable<ManifestRow> | AsyncIterable<ManifestRow>,
  options: CsvOptions = {},
): AsyncGenerator<string> {
  yield stringify([CSV_COLUMNS]);
  let batch: string[][] = [];
  for await (const row of rows) {
    batch.push(rowToCsvRecord(row, options));
    if (batch.length >= CSV_BATCH_ROWS) {
      yield stringify(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield stringify(batch);
}

/**
 * Writes the CSV atomically (temp file in the same directory, fsync, rename), after removing temp files that
 * killed runs left for the same destination.
 */
export async function writeCsvFile(
  rows: Iterable<ManifestRow> | AsyncIterable<ManifestRow>,
  file: string,
  options: CsvOptions = {},
): Promise<void> {
  await removeStaleTempFiles(dirname(file), basename(file));
  await writeFileAtomic(file, csvChunks(rows, options));
}
