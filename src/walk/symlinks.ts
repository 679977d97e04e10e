/**
 * Symbolic links met inside a folder: followed only when they lead to something inside the folder the user named,
 * so that a link cannot pull in files from elsewhere on the machine. Loops end in traverse.ts, which enters each
 * directory (device, inode) once.
 */
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import { fsErrorText, skipped } from './errors.js';
import type { InputItem } from './types.js';

/** What a link at `source` (absolute path `absSource`) leads to: its target's real path and stat, or the skipped item it becomes. */
export async function resolveLink(
  absSource: string,
  source: string,
  rootReal: string,
  onWarning: ((message: string) => void) | undefined,
): Promise<{ kind: 'ok'; stat: Stats; real: string } | { kind: 'skip'; item: InputItem }> {
  let real: string;
  try {
    real = await fs.realpath(absSource);
  } catch (err) {
    onWarning?.(`${escapeForDisplay(source)}: dangling symbolic link; skipped`);
    return { kind: 'skip', item: skipped(source, ErrorCodes.SYMLINK_DANGLING, `${escapeForDisplay(source)}: symbolic link to nothing (${fsErrorText(err)})`) };
  }
  if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
    onWarning?.(`${escapeForDisplay(source)}: symbolic link leads outside ${escapeForDisplay(rootReal)}; not followed`);
    return {
      kind: 'skip',
      item: skipped(source, ErrorCodes.SYMLINK_OUTSIDE_ROOT, `${escapeForDisplay(source)}: symbolic link leads outside the input folder; not followed (pass its target as an argument to include it)`),
    };
  }
  return { kind: 'ok', stat: await fs.stat(real), real };
}
