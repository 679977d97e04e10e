/**
 * A reader of stdout or stderr that went away (`ocrq … | head`): the pipe is closed, every write to it fails with
 * EPIPE. A C program would die of SIGPIPE; Node ignores the signal and reports an 'error' on the stream instead, which
 * with no listener ends the process with a stack trace. `watchReader()` (main.ts) turns it into a graceful stop: the
 * stream is written to no more and the command is asked to stop, as a signal does (docs/exit-codes.md, 141).
 */
import type { Writable } from 'node:stream';

/** Streams whose reader went away: writes to them are dropped. */
const gone = new WeakSet<Writable>();

/** Whether `stream`'s reader went away; writers may stop producing output for it. */
export function readerGone(stream: Writable): boolean {
  return gone.has(stream);
}

/** A write failed because nobody reads the other end: EPIPE, or a write to the stream after it was destroyed. */
export function isClosedPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * Watches `stream` (process.stdout or process.stderr) for its reader going away. The first closed-pipe error makes
 * every later write a no-op that reports success (its callback still runs, so nothing waits for a 'drain' that never
 * comes) and calls `onGone` once; errors of writes already on their way are ignored after that. Any other error is
 * left to the stream's other 'error' listeners (writeToStream has one while it writes), or with none thrown, as the
 * stream would have thrown it without this one.
 */
export function watchReader(stream: Writable, onGone: () => void): void {
  stream.on('error', (error: Error) => {
    if (gone.has(stream)) return;
    if (!isClosedPipe(error)) {
      if (stream.listenerCount('error') > 1) return;
      throw error;
    }
    gone.add(stream);
    stream.write = dropWrite;
    onGone();
  });
}

/** Writable.write's contract with nothing written: the callback runs on a later tick, and there is no backpressure. */
function dropWrite(_chunk: unknown, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (done) process.nextTick(done);
  return true;
}
