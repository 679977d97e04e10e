/**
 * A run's scratch folders in the system's temporary folder, named `<prefix><namespace>.<pid>-XXXXXX`. Before making
 * one, a run removes those left by runs that died (killed before they could), but only where it can tell: a pid names
 * a process only within its PID namespace, and another container sharing /tmp has pids that mean nothing here (seen
 * from a new namespace, every run outside it looks dead). So only folders of this namespace are judged by their pid.
 * The namespace is the inode of /proc/self/ns/pid on Linux, 0 where there is none.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../../manifest/lock.js';

let namespace: string | undefined;

/** This process's PID namespace, as a number in text. */
export function pidNamespace(): string {
  if (namespace === undefined) {
    try {
      namespace = /\[(\d+)\]/u.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
    } catch {
      namespace = '0';
    }
  }
  return namespace;
}

/** The start of this run's scratch folder names for `prefix`. */
export function scratchName(prefix: string): string {
  return `${prefix}${pidNamespace()}.${process.pid}-`;
}

/** Whether `name` is a scratch folder of `prefix` left by a run of this namespace that no longer runs. */
export function isStaleScratch(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const match = /^(?:(\d+)\.)?(\d+)-/u.exec(name.slice(prefix.length));
  if (!match) return false;
  const [, ns, pidText] = match;
  // Folders named before the namespace was part of the name are judged by their pid alone, as they were then.
  if (ns !== undefined && ns !== pidNamespace()) return false;
  const pid = Number(pidText);
  return pid > 0 && pid !== process.pid && !isProcessAlive(pid);
}

/** A new scratch folder for `prefix`, after removing the stale ones. */
export function makeScratchDirSync(prefix: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(os.tmpdir());
  } catch {
    // Nothing to clean; mkdtemp says what is wrong with the folder.
  }
  for (const name of names) {
    if (!isStaleScratch(name, prefix)) continue;
    try {
      rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Not ours to remove (another user's, in a sticky /tmp): it stays.
    }
  }
  return mkdtempSync(path.join(os.tmpdir(), scratchName(prefix)));
}
