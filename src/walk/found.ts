/**
 * What the walk found, counted before --include and --exclude, so that a run that finds nothing can say why: an
 * argument that holds nothing, a glob that matched nothing, or filters that left nothing of what was there. Only
 * counters: nothing here holds a path.
 */
import { escapeForDisplay } from '../output/display.js';
import { plural } from '../output/format.js';

export class FoundTally {
  /** Files and ZIP entries met (excluded ones included); an archive that was opened counts by its entries. */
  files = 0;
  /** Files, archives and ZIP entries left out by --exclude. */
  excludedFiles = 0;
  /** Folders (and everything under them) left out by --exclude. */
  excludedFolders = 0;
  /** Documents left out by --include. */
  notIncluded = 0;

  /** Everything met so far, files and excluded folders alike: unchanged over an argument that holds nothing. */
  get met(): number {
    return this.files + this.excludedFolders;
  }

  get filtered(): number {
    return this.excludedFiles + this.excludedFolders + this.notIncluded;
  }
}

/** `'a b'`, the way a shell would take it back. */
export function quoted(text: string): string {
  return `'${escapeForDisplay(text).replaceAll("'", "'\\''")}'`;
}

/** A folder argument that holds no file at all (at any depth). */
export function emptyFolderWarning(arg: string): string {
  const shown = escapeForDisplay(arg);
  return `${shown}${shown.endsWith('/') ? '' : '/'} holds no files`;
}

/** An archive named as an argument that holds no entry but folders. */
export function emptyArchiveWarning(arg: string): string {
  return `archive ${escapeForDisplay(arg)} holds no files`;
}

export function globWarning(pattern: string): string {
  return `${quoted(pattern)} matched nothing`;
}

export function stdinWarning(): string {
  return 'standard input (-) named no paths';
}

/**
 * Filters that left nothing of what the walk found, naming them: `--include '*.tif' matched none of the 120 files
 * found`, `--exclude 'tmp' excluded everything found: 1 folder`.
 */
export function filtersWarning(tally: FoundTally, include: readonly string[], exclude: readonly string[]): string {
  const flags = (name: string, patterns: readonly string[]) => patterns.map((p) => `${name} ${quoted(p)}`).join(' ');
  const what = [tally.files > 0 ? plural(tally.files, 'file') : '', tally.excludedFolders > 0 ? plural(tally.excludedFolders, 'folder') : '']
    .filter(Boolean)
    .join(', ');
  if (tally.excludedFiles + tally.excludedFolders === 0) {
    return `${flags('--include', include)} matched none of the ${plural(tally.files, 'file')} found`;
  }
  if (tally.notIncluded === 0) return `${flags('--exclude', exclude)} excluded everything found: ${what}`;
  return `${flags('--include', include)} and ${flags('--exclude', exclude)} left nothing of what was found: ${what}`;
}
