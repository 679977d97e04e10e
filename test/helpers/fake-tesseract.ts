import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A stand-in for the system's `tesseract`, following the parts of its CLI that `--engine native` uses (`--version`,
 * `--list-langs`, and the long-lived `stream_filelist` mode with TSV and txt on stdout, see src/isolate/ocr/native.ts),
 * so that version checks, language checks and the isolation of a worker's tesseract are tested where the real binary
 * is missing. `mode` says what it does with a page: answer it, never answer, take `megabytes` of memory and never
 * answer, or (`crash-first`) die of SIGSEGV on the first page of the first process and answer afterwards. Each
 * stream-mode process appends its pid to `<dir>/pids`, and to `<dir>/ended` when its list of images ends.
 */
export interface FakeTesseract {
  binary: string;
  /** Pids of the stream-mode processes started so far. */
  pids(): Promise<number[]>;
  /** Pids of those whose standard input (the list of images) ended. */
  ended(): Promise<number[]>;
}

export async function fakeTesseract(
  dir: string,
  options: { version?: string; langs?: string[]; mode?: 'answer' | 'hang' | 'memory' | 'crash-first'; megabytes?: number } = {},
): Promise<FakeTesseract> {
  const { version = '5.3.0', langs = ['eng', 'osd'], mode = 'answer', megabytes = 0 } = options;
  const binary = path.join(dir, 'tesseract');
  const pidFile = path.join(dir, 'pids');
  const endedFile = path.join(dir, 'ended');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(${JSON.stringify(`tesseract ${version}\n leptonica-1.82.0\n`)});
  process.exit(0);
}
if (args.includes('--list-langs')) {
  const langs = ${JSON.stringify(langs)};
  process.stdout.write('List of available languages in "/fake/tessdata/" (' + langs.length + '):\\n' + langs.map((l) => l + '\\n').join(''));
  process.exit(0);
}
const first = !fs.existsSync(${JSON.stringify(pidFile)});
fs.appendFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');
const mode = ${JSON.stringify(mode)} === 'crash-first' ? (first ? 'crash' : 'answer') : ${JSON.stringify(mode)};
// A stuck tesseract does not notice that its stdin closed either: only a signal ends it.
if (mode === 'hang' || mode === 'memory') setInterval(() => {}, 1000);
let n = 0;
let stuck = false;
process.stdout.write('level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n');
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.on('close', () => fs.appendFileSync(${JSON.stringify(endedFile)}, process.pid + '\\n'));
lines.on('line', (file) => {
  if (stuck) return;
  n++;
  if (file.endsWith('sentinel.tif')) {
    process.stdout.write('1\\t' + n + '\\t0\\t0\\t0\\t0\\t0\\t0\\t8\\t8\\t-1\\t\\n');
    return;
  }
  if (mode === 'crash') process.kill(process.pid, 'SIGSEGV');
  if (mode !== 'answer') {
    stuck = true;
    if (mode === 'memory') globalThis.held = Buffer.alloc(${megabytes} * 1024 * 1024, 1);
    return;
  }
  process.stdout.write('1\\t' + n + '\\t0\\t0\\t0\\t0\\t0\\t0\\t100\\t40\\t-1\\t\\n5\\t' + n + '\\t1\\t1\\t1\\t1\\t2\\t2\\t50\\t20\\t91.5\\tfake\\nfake\\n\\n');
});
`;
  await fs.writeFile(binary, script, { mode: 0o755 });
  const read = async (file: string) =>
    (await fs.readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map(Number);
  return { binary, pids: () => read(pidFile), ended: () => read(endedFile) };
}

/** Whether a process still runs (a zombie counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'latin1');
    return !/^\d+ \(.*\) Z /u.test(stat);
  } catch {
    return false;
  }
}
