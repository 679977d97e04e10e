// Runs one command to completion and measures it: wall time, exit status and, for the processes that matter,
// peak resident memory. Output goes to files (never through this process), so the parent's own work does not
// slow the measured command down.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** GNU time reports the exact peak RSS of the child it waits for; without it, /proc VmHWM is polled. */
const GNU_TIME = '/usr/bin/time';
const POLL_MS = 20;

/**
 * Runs `command args` with stdout and stderr written to `<outBase>.out` / `<outBase>.err`.
 * With `peakRss`, measures the peak RSS (KiB) of that command — not of a wrapper shell — and says how, and with GNU
 * time also its CPU seconds (user + system; null otherwise).
 * With `watch(line, elapsedMs)`, stdout passes through this process on its way to the file and each line is shown to
 * `watch` until it returns true (then the rest is only copied).
 * Resolves with {code, signal, wallMs, peakRssKiB, cpuSeconds, rssMethod, stdoutFile, stderrFile}; never rejects on a non-zero exit.
 */
export async function runMeasured(command, args, { cwd, env, outBase, peakRss = false, watch, timeoutMs = 30 * 60_000 } = {}) {
  const stdoutFile = `${outBase}.out`;
  const stderrFile = `${outBase}.err`;
  const timeFile = `${outBase}.time`;
  const useTime = peakRss && existsSync(GNU_TIME);
  const [argv0, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
  const out = await open(stdoutFile, 'w');
  const err = await open(stderrFile, 'w');
  let hwm = null;
  let timer;
  try {
    const started = performance.now();
    const child = spawn(argv0, argv, { cwd, env, stdio: ['ignore', watch ? 'pipe' : out.fd, err.fd] });
    const copied = watch ? watchLines(child.stdout, out, watch, started) : Promise.resolve();
    if (peakRss && !useTime) timer = setInterval(() => (hwm = readHwm(child.pid) ?? hwm), POLL_MS);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve({ code: c, signal: s }));
    });
    const wallMs = performance.now() - started;
    clearTimeout(killer);
    await copied;
    let peakRssKiB = hwm;
    let cpuSeconds = null;
    if (useTime) {
      // GNU time writes "Command exited with non-zero status N" first when it did; the figures are the last line.
      const [rss, user, system] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
      peakRssKiB = rss;
      cpuSeconds = Number((user + system).toFixed(2));
      await rm(timeFile, { force: true });
    }
    return { code, signal, wallMs, peakRssKiB, cpuSeconds, rssMethod: peakRss ? (useTime ? 'GNU time %M' : `VmHWM polled every ${POLL_MS} ms`) : null, stdoutFile, stderrFile };
  } finally {
    clearInterval(timer);
    await out.close();
    await err.close();
  }
}

/** Copies `stream` to the file handle `out`, showing complete lines to `watch` until it returns true. */
async function watchLines(stream, out, watch, started) {
  let pending = '';
  let watching = true;
  for await (const chunk of stream) {
    await out.write(chunk);
    if (!watching) continue;
    const now = performance.now() - started;
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (watch(line, now)) {
        watching = false;
        break;
      }
    }
  }
}

function readHwm(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    // The process has exited between two polls: keep the last value.
    return null;
  }
}

/** The last JSON line of a file whose `type` is `wanted` (e.g. ocrq's `summary`), or null. */
export async function lastEvent(file, wanted) {
  const text = await readFile(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 50; i -= 1) {
    try {
      const event = JSON.parse(lines[i]);
      if (event.type === wanted) return event;
    } catch {
      // not JSON: a progress line or a torn write
    }
  }
  return null;
}

/** Last `chars` characters of a file, for error messages. */
export async function tail(file, chars = 1500) {
  try {
    return (await readFile(file, 'utf8')).slice(-chars).trim();
  } catch {
    return '';
  }
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
