/**
 * Every place a run writes is checked before any document is read: a mistake in `--out`, `--csv` or `--results-dir`
 * (a missing folder, a file where a folder belongs, a read-only place, a special file system such as /proc) is a
 * usage error naming the path and the fix, not a failure after hours of OCR.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../errors.js';

/** Checks a file the run will create or replace, through a probe file written next to it. */
export async function checkOutputFile(file: string, flag: string): Promise<void> {
  const dir = path.dirname(file);
  await checkDirectory(dir, flag, file, `create it first (mkdir -p ${dir}), or choose another ${flag}`);
  const existing = await fs.stat(file).catch(() => null);
  if (existing && !existing.isFile()) throw new ConfigError(`${flag} ${file} is not a regular file`, `choose another ${flag}`);
  await probeWritable(dir, flag, file);
}

/** Checks (creating it when missing) the folder the run writes result files into. */
export async function checkOutputDirectory(dir: string, flag: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file stands where a folder is needed' : describe(err);
    throw new ConfigError(`${flag} ${dir}: cannot create the folder (${reason})`, `choose another ${flag}`);
  }
  await checkDirectory(dir, flag, dir, `choose another ${flag}`);
  await probeWritable(dir, flag, dir);
}

async function checkDirectory(dir: string, flag: string, shown: string, fix: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat) throw new ConfigError(`${flag} ${shown}: the folder ${dir} does not exist`, fix);
  if (!stat.isDirectory()) throw new ConfigError(`${flag} ${shown}: ${dir} is not a folder`, `choose another ${flag}`);
}

/** Creates and removes a file in `dir`: what a read-only mount, missing permissions or a pseudo file system refuse. */
async function probeWritable(dir: string, flag: string, shown: string): Promise<void> {
  const probe = path.join(dir, `.ocrq-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await fs.open(probe, 'wx');
    await handle.close();
  } catch (err) {
    throw new ConfigError(`${flag} ${shown}: cannot write in ${dir} (${describe(err)})`, `choose a writable place for ${flag}`);
  }
  await fs.unlink(probe).catch(() => {});
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
