import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { isClosedPipe, outputWriteError, readerGone } from '../closed-pipe.js';

/**
 * Writes chunks to a command's standard output, waiting for 'drain' when it is full. A reader that went away (EPIPE,
 * as with `ocrq export m.jsonl | head`), now or before (closed-pipe.ts), ends the output quietly; any other error (a
 * full disk) ends the command with exit 2.
 */
export async function writeToStream(stream: Writable, chunks: AsyncIterable<string>): Promise<void> {
  let failure: Error | undefined;
  const onError = (error: Error) => (failure ??= error);
  stream.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failure || readerGone(stream)) break;
      if (!stream.write(chunk)) {
        await Promise.race([once(stream, 'drain'), once(stream, 'close')]).catch((error: Error) => (failure ??= error));
      }
    }
  } finally {
    stream.off('error', onError);
  }
  if (failure && !isClosedPipe(failure)) throw outputWriteError('standard output', failure);
}

/** Warnings from reading the manifest go to stderr, one line each. */
export function warnTo(stderr: Writable): (message: string) => void {
  return (message) => {
    stderr.write(`ocrq: warning: ${message}\n`);
  };
}
