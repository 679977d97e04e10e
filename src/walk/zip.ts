/**
 * Streams the documents inside a ZIP archive without extracting anything to disk.
 *
 * Contract: `readZip` never throws and never leaves an `error` event unhandled. Every refused entry becomes one
 * `skipped` item naming the entry, and the rest of the archive goes on; a problem with the archive itself becomes
 * one `skipped` item for the archive (after any entries already yielded). Entries are read one at a time, only when
 * the consumer asks for the next item, so at most one inflated entry (bounded by `maxEntrySize`) is held per level.
 * Stopping early (`return()`) closes the archive.
 */
import fs from 'node:fs/promises';
import yauzl, { type Entry, type Options, type ZipFile } from 'yauzl';
import { ErrorCodes, type ErrorCategory, type ErrorCode } from '../errors.js';
import type { InputItem, InputSkipped } from './types.js';
import { errorText, inflateEntry, isDirectoryEntry, refuseBeforeInflating, type ArchiveTally, type SharedBudget } from './zip-entry.js';
import type { ZipLimits } from './zip-limits.js';
import { escapeForDisplay } from '../output/display.js';
import { decodeEntryName, findNameProblem } from './zip-names.js';

export { DEFAULT_ZIP_LIMITS, RATIO_MIN_SIZE, type ZipLimits } from './zip-limits.js';

export type ZipInput = { path: string } | { data: Buffer };

/** Local file header (`PK\3\4`), or the end-of-central-directory record that starts an empty archive. */
export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/**
 * `exclude` is asked about each entry that is not a folder, by its path inside its own archive (`/`-separated), before
 * the entry is read: an entry it excludes is left out without a trace, and an excluded nested archive is never opened.
 */
export function readZip(archiveSource: string, input: ZipInput, limits: ZipLimits, exclude?: (name: string) => boolean): AsyncGenerator<InputItem> {
  return walkArchive(archiveSource, input, 1, { limits, budget: { used: 0, exhausted: false }, exclude });
}

interface WalkContext {
  limits: ZipLimits;
  budget: SharedBudget;
  exclude?: (name: string) => boolean;
}

function skipped(source: string, code: ErrorCode, reason: string, category: ErrorCategory): InputSkipped {
  return { kind: 'skipped', source, error: { code, message: `${escapeForDisplay(source)}: ${reason}`, category } };
}

const YAUZL_OPTIONS: Options = {
  lazyEntries: true,
  autoClose: true,
  // Names are decoded and checked per entry here, so one bad name refuses that entry instead of the whole archive.
  decodeStrings: false,
  validateEntrySizes: true,
  strictFileNames: false,
};

function openArchive(input: ZipInput): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zipfile: ZipFile) => (err ? reject(err) : resolve(zipfile));
    try {
      if ('path' in input) yauzl.open(input.path, YAUZL_OPTIONS, done);
      else yauzl.fromBuffer(input.data, YAUZL_OPTIONS, done);
    } catch (err) {
      reject(err);
    }
  });
}

async function describeOpenFailure(source: string, input: ZipInput, err: unknown): Promise<InputSkipped> {
  const fsCode = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof fsCode === 'string') {
    return skipped(source, ErrorCodes.FILE_UNREADABLE, `cannot read the archive: ${errorText(err)}`, 'input');
  }
  const head = 'data' in input ? input.data : await readHead(input.path);
  const what = isZip(head) ? 'corrupt or truncated ZIP archive' : 'not a ZIP archive';
  return skipped(source, ErrorCodes.ZIP_INVALID, `${what} (${errorText(err)})`, 'input');
}

async function readHead(path: string): Promise<Buffer> {
  try {
    const fh = await fs.open(path, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

type CursorStep = { kind: 'entry'; entry: Entry } | { kind: 'end' } | { kind: 'error'; error: Error };

/**
 * Pull-style access to yauzl's lazy entry events. The listeners stay attached for the zipfile's whole life so that
 * an error arriving while nobody is waiting (a failed close, say) is recorded rather than left unhandled.
 */
class EntryCursor {
  private waiting: ((step: CursorStep) => void) | null = null;
  private failure: Error | null = null;
  private ended = false;

  constructor(private readonly zipfile: ZipFile) {
    zipfile.on('entry', (entry: Entry) => this.settle({ kind: 'entry', entry }));
    zipfile.on('end', () => {
      this.ended = true;
      this.settle({ kind: 'end' });
    });
    zipfile.on('error', (error: Error) => {
      this.failure ??= error;
      this.settle({ kind: 'error', error });
    });
  }

  next(): Promise<CursorStep> {
    // yauzl goes silent after an error, so asking it again would wait forever.
    if (this.failure) return Promise.resolve({ kind: 'error', error: this.failure });
    if (this.ended) return Promise.resolve({ kind: 'end' });
    return new Promise((resolve) => {
      this.waiting = resolve;
      try {
        this.zipfile.readEntry();
      } catch (err) {
        this.settle({ kind: 'error', error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }

  private settle(step: CursorStep): void {
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(step);
  }
}

async function* walkArchive(source: string, input: ZipInput, depth: number, ctx: WalkContext): AsyncGenerator<InputItem> {
  let zipfile: ZipFile;
  try {
    zipfile = await openArchive(input);
  } catch (err) {
    yield await describeOpenFailure(source, input, err);
    return;
  }
  const cursor = new EntryCursor(zipfile);
  try {
    if (zipfile.entryCount > ctx.limits.maxEntries) {
      yield skipped(
        source,
        ErrorCodes.ZIP_UNSAFE,
        `archive declares ${zipfile.entryCount} entries, over the limit of ${ctx.limits.maxEntries}; no entry read`,
        'limit',
      );
      return;
    }
    const tally: ArchiveTally = { fileSize: zipfile.fileSize, compressedSum: 0 };
    let entriesRead = 0;
    for (;;) {
      const step = await cursor.next();
      if (step.kind === 'end') return;
      if (step.kind === 'error') {
        const after = entriesRead === 0 ? '' : ` after ${entriesRead} ${entriesRead === 1 ? 'entry' : 'entries'}`;
        yield skipped(source, ErrorCodes.ZIP_INVALID, `corrupt ZIP archive${after} (${errorText(step.error)})`, 'input');
        return;
      }
      entriesRead++;
      tally.compressedSum += step.entry.compressedSize;
      yield* walkEntry(source, zipfile, step.entry, depth, ctx, tally);
    }
  } finally {
    zipfile.close();
  }
}

async function* walkEntry(
  archiveSource: string,
  zipfile: ZipFile,
  entry: Entry,
  depth: number,
  ctx: WalkContext,
  tally: ArchiveTally,
): AsyncGenerator<InputItem> {
  const decoded = decodeEntryName(entry.fileNameRaw, entry.generalPurposeBitFlag);
  if (ctx.exclude && !isDirectoryEntry(entry, decoded.name) && ctx.exclude(decoded.name.replaceAll('\\', '/'))) return;
  const nameProblem = decoded.problem ?? findNameProblem(decoded.name);
  if (nameProblem !== null) {
    const source = `${archiveSource}!/${decoded.name}`;
    yield skipped(source, ErrorCodes.ZIP_UNSAFE, `unsafe entry name (${nameProblem}); never read`, 'input');
    return;
  }
  if (isDirectoryEntry(entry, decoded.name)) return;
  const source = `${archiveSource}!/${decoded.name.replaceAll('\\', '/')}`;
  const outcome =
    refuseBeforeInflating(entry, ctx.limits, tally, ctx.budget) ?? (await inflateEntry(zipfile, entry, ctx.limits.maxEntrySize));
  if (!Buffer.isBuffer(outcome)) {
    yield skipped(source, outcome.code, outcome.reason, outcome.category);
    return;
  }
  const data = outcome;
  if (isZip(data)) {
    if (depth < ctx.limits.maxDepth) {
      yield* walkArchive(source, { data }, depth + 1, ctx);
    } else {
      yield skipped(source, ErrorCodes.ZIP_UNSAFE, `nested archive deeper than ${ctx.limits.maxDepth} ${ctx.limits.maxDepth === 1 ? 'level' : 'levels'} not opened`, 'limit');
    }
    return;
  }
  yield { kind: 'document', source, size: data.length, read: () => Promise.resolve(data) };
}
