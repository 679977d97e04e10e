import type { Writable } from 'node:stream';
import { readerGone } from '../closed-pipe.js';

/** Lines waiting to be written go out at once when they reach this many bytes. */
export const NDJSON_FLUSH_BYTES = 64 * 1024;

/**
 * The NDJSON writer of every command's `--json` output: one JSON object per line on stdout. Lines are gathered and
 * written together, at the end of the event loop's turn (`delayMs` 0) or at most `delayMs` later, so that a burst of
 * events is one write(2) rather than one per line: each write wakes the reader of the pipe, and on a busy machine
 * the writer then waits for the reader to run. `flush()` writes what is held at once. Once the reader of the stream
 * went away (closed-pipe.ts) lines are dropped rather than gathered.
 */
export class NdjsonWriter {
  private pending = '';
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable,
    private readonly delayMs = 0,
  ) {}

  write(event: object): void {
    if (readerGone(this.out)) return;
    this.pending += `${JSON.stringify(event)}\n`;
    if (this.pending.length >= NDJSON_FLUSH_BYTES) this.flush();
    else if (this.delayMs > 0) this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    else this.immediate ??= setImmediate(() => this.flush());
  }

  flush(): void {
    clearImmediate(this.immediate);
    clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.out.write(chunk);
  }
}
