import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, ExitCode, OcrqError } from '../errors.js';

/**
 * A manifest write, fsync or truncate failed (EIO, ENOSPC...). The environment is at fault, not the input or
 * the code, hence the configuration exit code: the run stops and resumes once the disk is fixed.
 */
export class ManifestWriteError extends OcrqError {
  override readonly exitCode = ExitCode.Usage;
  constructor(
    readonly manifest: string,
    /** errno code such as `ENOSPC`, or `EIO` when the system gave none. */
    readonly errno: string,
    message: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(message, fix, options);
  }
}

export function manifestWriteError(manifest: string, error: unknown, action: string): ManifestWriteError {
  if (error instanceof ManifestWriteError) return error;
  const errno = (error as NodeJS.ErrnoException)?.code ?? 'EIO';
  const detail = error instanceof Error ? error.message : String(error);
  const resume = 'then run the same command again: it resumes from the manifest';
  const fix =
    errno === 'ENOSPC' || errno === 'EDQUOT'
      ? `free some disk space, ${resume}`
      : errno === 'EIO'
        ? `check the disk holding ${manifest}, ${resume}`
        : `fix the cause, ${resume}`;
  return new ManifestWriteError(manifest, errno, `cannot ${action} manifest ${manifest}: ${errno} (${detail})`, fix, {
    cause: error,
  });
}

/**
 * Fails fast, before any work, when the manifest cannot be written: a missing or read-only directory, or an
 * existing manifest that is not a writable regular file. Returns whether the manifest exists.
 */
export async function assertManifestWritable(path: string): Promise<boolean> {
  const dir = dirname(path);
  const dirStats = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw new ConfigError(`cannot use manifest directory ${dir} (${error.code})`, 'check its permissions');
  });
  if (!dirStats) {
    throw new ConfigError(
      `manifest directory ${dir} does not exist`,
      `create it first (mkdir -p ${dir}), or choose another --out`,
    );
  }
  if (!dirStats.isDirectory()) {
    throw new ConfigError(`manifest directory ${dir} is not a directory`, 'choose another --out');
  }
  try {
    // The lock and any torn-line copy are created next to the manifest, so the directory must be writable.
    await access(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(
      `manifest directory ${dir} is not writable`,
      'choose another --out, or fix the directory permissions',
    );
  }
  const fileStats = await stat(path).catch(() => null);
  if (!fileStats) return false;
  if (!fileStats.isFile()) {
    throw new ConfigError(`manifest ${path} is not a regular file`, 'choose another --out');
  }
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new ConfigError(`manifest ${path} is not writable`, 'choose another --out, or fix its permissions');
  }
  return true;
}
