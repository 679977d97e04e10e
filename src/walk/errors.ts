/**
 * How a problem with one input is told: the `skipped` item it becomes, its error code, and the words shown for a
 * file-system error. Nothing here throws; the walk only throws for bugs.
 */
import type { Dirent } from 'node:fs';
import { DocumentError, ErrorCodes, type DocumentFailure } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import type { InputItem } from './types.js';

export function skipped(source: string, code: string, message: string, category: DocumentFailure['category'] = 'input'): InputItem {
  return { kind: 'skipped', source, error: { code, message, category } };
}

export function changedError(source: string): DocumentError {
  return new DocumentError(ErrorCodes.FILE_CHANGED, `${escapeForDisplay(source)}: changed while being read (twice); not processed`, 'input');
}

export function codeForFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return ErrorCodes.FILE_VANISHED;
  return ErrorCodes.FILE_UNREADABLE;
}

export function fsErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.code ? `${e.code}: ${e.message}` : String(err);
  }
}

export function direntKind(d: Dirent): string {
  if (d.isFIFO()) return 'named pipe';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'character device';
  if (d.isBlockDevice()) return 'block device';
  return 'special file';
}
