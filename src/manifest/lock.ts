/**
 * `<manifest>.lock` holds the pid of the one process allowed to append to a manifest. It is created atomically
 * with its content (written to a private file, then hard-linked into place), so another process never sees an
 * empty lock and mistakes it for a stale one.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

export const LOCK_SUFFIX = '.lock';
const TAKEOVER_ATTEMPTS = 3;

export interface ManifestLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Synchronous so that it can run in a process 'exit' listener. */
  release(): void;
}

export function lockPathFor(manifest: string): string {
  return manifest + LOCK_SUFFIX;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseLockPid(content: string): number | null {
  const text = content.trim();
  if (!/^\d{1,10}$/.test(text)) return null;
  const pid = Number(text);
  return pid > 0 ? pid : null;
}

export async function acquireLock(manifest: string, onWarning?: (message: string) => void): Promise<ManifestLock> {
  const path = lockPathFor(manifest);
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt += 1) {
    if (await createLock(path)) return ownLock(path);
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      content = '';
    }
    const pid = parseLockPid(content);
    if (pid !== null && isProcessAlive(pid)) {
      throw new ConfigError(
        `manifest ${manifest} is locked by pid ${pid}`,
        `wait for it to finish, or remove ${path} if that process is gone`,
      );
    }
    // XXX: two processes taking over the same stale lock at the same instant can both win; the window is the
    // time between this unlink and the other's link, which overlapping cron runs are unlikely to hit.
    await unlink(path).catch(ignoreMissing);
    onWarning?.(
      pid === null
        ? `manifest ${manifest}: took over lock ${path}, whose content was unreadable`
        : `manifest ${manifest}: took over a stale lock from pid ${pid}, which is no longer running`,
    );
  }
  throw new ConfigError(
    `manifest ${manifest}: could not take lock ${path}; another process keeps creating it`,
    `make sure only one ocrq writes to ${manifest}`,
  );
}

/** Creates the lock with our pid in it; false when it already exists. */
async function createLock(path: string): Promise<boolean> {
  const content = `${process.pid}\n`;
  const staging = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(staging, content, { flag: 'wx', mode: 0o644 });
  try {
    await link(staging, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some filesystems (SMB, exFAT, some FUSE mounts) have no hard links: fall back to an exclusive create.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      return createLockExclusive(path, content);
    }
    throw error;
  } finally {
    await unlink(staging).catch(ignoreMissing);
  }
}

async function createLockExclusive(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function ownLock(path: string): ManifestLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        // Someone may have removed a lock they believed stale and taken it: theirs is not ours to remove.
        if (parseLockPid(readFileSync(path, 'utf8')) === process.pid) unlinkSync(path);
      } catch {
        // Already gone, or unreadable: nothing of ours to remove.
      }
    },
  };
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
