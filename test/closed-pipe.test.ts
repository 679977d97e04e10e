/**
 * watchReader (src/closed-pipe.ts) over a stream that fails as process.stdout does once its reader has gone: every
 * write fails with EPIPE and the stream stays open (test/e2e/closed-pipe.test.ts runs the real process over a real pipe).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readerGone, watchReader } from '../src/closed-pipe.js';
import { writeToStream } from '../src/manifest/write-stream.js';
import { NdjsonWriter } from '../src/output/ndjson.js';

/** Accepts `accepted` writes, then fails every later one with `code`, without being destroyed (as stdio streams). */
function pipe(accepted: number, code = 'EPIPE') {
  const written: string[] = [];
  let attempts = 0;
  const stream = new Writable({
    autoDestroy: false,
    write(chunk: Buffer, _encoding, callback) {
      attempts++;
      if (written.length < accepted) {
        written.push(chunk.toString());
        callback();
      } else callback(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
  return { stream, written, attempts: () => attempts };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function* chunks(n: number): AsyncGenerator<string> {
  for (let i = 0; i < n; i++) yield `line ${i}\n`;
}

describe('watchReader', () => {
  it('on the first EPIPE calls onGone once, then drops every write: no error, no backpressure, callbacks still run', async () => {
    const { stream, written, attempts } = pipe(1);
    let gone = 0;
    watchReader(stream, () => gone++);
    stream.write('first\n');
    stream.write('second\n');
    stream.write('third\n');
    await tick();
    expect(gone).toBe(1);
    expect(readerGone(stream)).toBe(true);
    const tried = attempts();
    const done = new Promise<void>((resolve) => stream.write('later\n', () => resolve()));
    expect(stream.write('more\n')).toBe(true);
    await done;
    await tick();
    expect(attempts()).toBe(tried);
    expect(written).toEqual(['first\n']);
    expect(gone).toBe(1);
  });

  it('leaves any other error to the stream: thrown with no other listener, as before', () => {
    const { stream } = pipe(0);
    watchReader(stream, () => {});
    const eio = Object.assign(new Error('write EIO'), { code: 'EIO' });
    expect(() => stream.emit('error', eio)).toThrow(eio);
    expect(readerGone(stream)).toBe(false);
  });

  it('lets writeToStream report another error, and end quietly on a reader that went away', async () => {
    const eio = pipe(0, 'EIO');
    watchReader(eio.stream, () => {});
    await expect(writeToStream(eio.stream, chunks(3))).rejects.toMatchObject({ code: 'EIO' });

    const closed = pipe(2);
    watchReader(closed.stream, () => {});
    await writeToStream(closed.stream, chunks(100));
    expect(closed.written).toEqual(['line 0\n', 'line 1\n']);
    // Gone before it starts: nothing is produced for it.
    let produced = 0;
    await writeToStream(closed.stream, (async function* () {
      for (;;) {
        produced++;
        yield 'x\n';
      }
    })());
    expect(produced).toBe(1);
  });

  it('NDJSON lines are no longer gathered once the reader has gone', async () => {
    const { stream, written } = pipe(1);
    watchReader(stream, () => {});
    const out = new NdjsonWriter(stream);
    out.write({ n: 1 });
    out.flush();
    out.write({ n: 2 });
    out.flush();
    await tick();
    out.write({ n: 3 });
    out.flush();
    await tick();
    expect(written).toEqual(['{"n":1}\n']);
    expect(readerGone(stream)).toBe(true);
  });
});
