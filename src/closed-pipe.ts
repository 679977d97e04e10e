/**
 * A reader of stdout or stderr that went away (`ocrq … | head`): the pipe is closed, every write to it fails with
 * EPIPE. A C program would die of SIGPIPE; Node ignores the signal and reports an 'error' on the stream instead, which
 * with no listener ends the process with a stack trace. `watchReader()` (main.ts) turns it into a graceful stop: the
 * stream is written to no more and the command is asked to stop, as a signal does (docs/exit-codes.md, 141). Any other
 * failed write (a full disk under `> file`) stops it the same way, and the command then ends with 2, saying why.
 */
import type { Writable } from 'node:stream';
import { ConfigError } from './errors.js';

/** Streams whose reader went away, or that failed otherwise: writes to them are dropped. */
const gone = new WeakSet<Writable>();

/** Whether `stream`'s reader went away (or it failed otherwise); writers may stop producing output for it. */
export function readerGone(stream: Writable): boolean {
  return gone.has(stream);
}

/** A write failed because nobody reads the other end: EPIPE, or a write to the stream after it was destroyed. */
export function isClosedPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * The error a command ends with when its output cannot be written for another reason than a closed pipe: a full
 * disk or an I/O error under `> file` (exit 2, docs/exit-codes.md). The run stopped as on a signal.
 */
export function outputWriteError(name: 'standard output' | 'standard error', error: unknown): ConfigError {
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError(
    `cannot write to ${name}: ${message}`,
    'make room on that device or send the output elsewhere (a run stopped by it has flushed its manifest, and resumes when run again)',
  );
}

/**
 * Watches `stream` (process.stdout or process.stderr) for writes that fail. The first failure makes every later write
 * a no-op that reports success (its callback still runs, so nothing waits for a 'drain' that never comes) and calls,
 * once, `onGone` for a closed pipe (the reader went away) or `onFailed` with any other error (a full disk, an I/O
 * error); errors of writes already on their way are ignored after that.
 */
export function watchReader(stream: Writable, onGone: () => void, onFailed: (error: Error) => void): void {
  stream.on('error', (error: Error) => {
    if (gone.has(stream)) return;
    gone.add(stream);
    stream.write = dropWrite;
    if (isClosedPipe(error)) onGone();
    else onFailed(error);
  });
}

/** Writable.write's contract with nothing written: the callback runs on a later tick, and there is no backpressure. */
function dropWrite(_chunk: unknown, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (done) process.nextTick(done);
  return true;
}
