/**
 * watchReader (src/closed-pipe.ts) over a stream that fails as process.stdout does once its reader has gone: every
 * write fails with EPIPE and the stream stays open; or with another error, as a full disk under `> file`
 * (test/e2e/closed-pipe.test.ts runs the real process over a real pipe and /dev/full).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readerGone, watchReader } from '../src/closed-pipe.js';
import { ExitCode, OcrqError } from '../src/errors.js';
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
    watchReader(stream, () => gone++, () => expect.unreachable());
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

  it('on another error (a full disk) calls onFailed once with it, and drops every later write the same way', async () => {
    const { stream, written, attempts } = pipe(1, 'ENOSPC');
    const failed: Error[] = [];
    watchReader(stream, () => expect.unreachable(), (error) => failed.push(error));
    stream.write('first\n');
    stream.write('second\n');
    await tick();
    stream.write('third\n');
    await tick();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ code: 'ENOSPC' });
    expect(readerGone(stream)).toBe(true);
    expect(attempts()).toBe(2);
    expect(written).toEqual(['first\n']);
  });

  it('lets writeToStream end with exit 2 naming standard output on another error, and quietly on a reader that went away', async () => {
    const eio = pipe(0, 'EIO');
    watchReader(eio.stream, () => {}, () => {});
    const failure = await writeToStream(eio.stream, chunks(3)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(OcrqError);
    expect(failure).toMatchObject({ exitCode: ExitCode.Usage, message: expect.stringMatching(/^cannot write to standard output: write EIO$/) });

    const closed = pipe(2);
    watchReader(closed.stream, () => {}, () => expect.unreachable());
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
    watchReader(stream, () => {}, () => expect.unreachable());
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
