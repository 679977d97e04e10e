import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { ListenEvent, ListenSummary } from '../../src/output/events.js';
import { createListenReporter, summaryText } from '../../src/output/listen-reporter.js';

/** A stream that keeps each write(): how many writes, not only what, is under test. */
function recordingStream(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, writes };
}

type DeliveryEvent = Extract<ListenEvent, { type: 'delivery' }>;

const delivery = (jobId: string, outcome: DeliveryEvent['outcome'] = 'stored'): DeliveryEvent => ({
  type: 'delivery',
  provider: 'ocrqueen',
  job_id: jobId,
  event_id: `evt_${jobId}`,
  status: 'completed',
  outcome,
});

const summary: ListenSummary = {
  url: 'http://127.0.0.1:1',
  deliveries: 3,
  stored: 3,
  duplicates: 0,
  conflicts: 0,
  unmatched: 0,
  events: 0,
  rejected: 0,
  failed: 0,
  pending: null,
  interrupted: true,
  timed_out: false,
  exit_code: 130,
  manifest: 'm.jsonl',
};

const types = (writes: string[]) => writes.map((w) => w.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type));

describe('listen reporter --json', () => {
  it('writes the ready line (with warnings held for it) at once, deliveries in one later write, the summary at once', async () => {
    const out = recordingStream();
    const err = recordingStream();
    const reporter = createListenReporter('json', { stdout: out.stream, stderr: err.stream }, 'provider ocrqueen');
    reporter.emit({ type: 'warning', message: 'found before the ready line' });
    expect(out.writes).toEqual([]);
    reporter.emit({ type: 'ready', url: 'http://127.0.0.1:1' });
    expect(types(out.writes)).toEqual([['ready', 'warning']]);

    for (const job of ['a', 'b', 'c']) reporter.emit(delivery(job));
    expect(out.writes).toHaveLength(1);
    await vi.waitFor(() => expect(out.writes).toHaveLength(2));
    expect(types(out.writes)[1]).toEqual(['delivery', 'delivery', 'delivery']);
    expect(out.writes[1].split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { job_id: string }).job_id)).toEqual(['a', 'b', 'c']);

    reporter.emit(delivery('d', 'duplicate'));
    reporter.emit({ type: 'summary', summary });
    expect(types(out.writes)).toEqual([['ready', 'warning'], ['delivery', 'delivery', 'delivery'], ['delivery', 'summary']]);
    expect(err.writes).toEqual([]);
  });

  it('close(), called whenever listen ends, writes the lines still held', () => {
    const out = recordingStream();
    const reporter = createListenReporter('json', { stdout: out.stream, stderr: recordingStream().stream }, 'provider ocrqueen');
    reporter.emit({ type: 'ready', url: 'http://127.0.0.1:1' });
    reporter.emit({ type: 'rejected', status: 401, reason: 'wrong signature', provider: 'ocrqueen' });
    reporter.close();
    expect(types(out.writes)).toEqual([['ready'], ['rejected']]);
  });

  it('flattens the summary into the line it prints, in snake_case like submit', () => {
    const out = recordingStream();
    const reporter = createListenReporter('json', { stdout: out.stream, stderr: recordingStream().stream }, 'provider ocrqueen');
    reporter.emit({ type: 'summary', summary });
    expect(JSON.parse(out.writes.join(''))).toEqual({ type: 'summary', ...summary });
  });

  it("reports a delivery it could not store with submit's error shape, and on stderr", () => {
    const out = recordingStream();
    const err = recordingStream();
    const reporter = createListenReporter('json', { stdout: out.stream, stderr: err.stream }, 'provider ocrqueen');
    reporter.emit({ type: 'ready', url: 'http://127.0.0.1:1' });
    const error = { kind: 'ManifestWriteError', message: 'could not store the delivery for ocrqueen job j (answered 500, the sender will retry): ENOSPC', fix: 'free some disk space' };
    reporter.emit({ type: 'error', error, provider: 'ocrqueen', job_id: 'j' });
    reporter.close();
    expect(JSON.parse(out.writes[1])).toEqual({ type: 'error', error, provider: 'ocrqueen', job_id: 'j' });
    expect(err.writes).toEqual([`ocrq: error: ${error.message}\n`]);
  });

  it('held warnings of a listener that never started go to stderr', () => {
    const out = recordingStream();
    const err = recordingStream();
    const reporter = createListenReporter('json', { stdout: out.stream, stderr: err.stream }, 'provider ocrqueen');
    reporter.emit({ type: 'warning', message: 'secret whsec_abcdefghijkl had a trailing newline' });
    reporter.close();
    expect(out.writes).toEqual([]);
    expect(err.writes.join('')).toMatch(/^ocrq: warning: secret whsec_ab… had a trailing newline\n$/);
  });
});

describe('listen reporter, plain and quiet', () => {
  it('plain: one line per event on stderr, nothing on stdout', () => {
    const out = recordingStream();
    const err = recordingStream();
    const reporter = createListenReporter('plain', { stdout: out.stream, stderr: err.stream }, 'provider ocrqueen, manifest m.jsonl');
    reporter.emit({ type: 'ready', url: 'http://127.0.0.1:1' });
    reporter.emit({ ...delivery('a'), status: 'failed', error: { code: 'PDF_INVALID', message: 'ocrqueen: bad', category: 'provider' } });
    reporter.emit({ type: 'summary', summary });
    reporter.close();
    expect(out.writes).toEqual([]);
    expect(err.writes).toEqual([
      'ocrq: listening on http://127.0.0.1:1 (provider ocrqueen, manifest m.jsonl); Ctrl-C to stop\n',
      'ocrq: ocrqueen a failed PDF_INVALID: stored\n',
      'ocrq: listen: stopped on SIGINT; 3 deliveries stored; manifest m.jsonl\n',
    ]);
  });

  it('quiet: only errors and low-credit warnings', () => {
    const err = recordingStream();
    const reporter = createListenReporter('quiet', { stdout: recordingStream().stream, stderr: err.stream }, 'provider docextract');
    reporter.emit({ type: 'ready', url: 'http://127.0.0.1:1' });
    reporter.emit({ type: 'warning', message: 'ignored' });
    reporter.emit(delivery('a'));
    reporter.emit({ type: 'provider_event', provider: 'docextract', event: 'credits.depleted', event_id: null, low_credit: true, data: {} });
    reporter.emit({ type: 'error', error: { kind: 'ManifestWriteError', message: 'could not store' }, provider: 'docextract', job_id: 'a' });
    reporter.emit({ type: 'summary', summary });
    expect(err.writes).toEqual([
      'ocrq: WARNING: docextract reports its credits are used up; jobs are stalled. Add credits in the docextract dashboard.\n',
      'ocrq: error: could not store\n',
    ]);
  });
});

describe("listen's closing line", () => {
  it('says how listening ended, what was stored, the rest only when there is some, and the manifest', () => {
    expect(summaryText({ ...summary, exit_code: 143, interrupted: true, stored: 1, deliveries: 1 })).toBe('listen: stopped on SIGTERM; 1 delivery stored; manifest m.jsonl');
    expect(summaryText({ ...summary, exit_code: 141, interrupted: true, stored: 1, deliveries: 1 })).toBe('listen: stopped: its output was closed (SIGPIPE); 1 delivery stored; manifest m.jsonl');
    expect(summaryText({ ...summary, stored: 0, deliveries: 0 })).toBe('listen: stopped on SIGINT; 0 deliveries stored; manifest m.jsonl');
    expect(
      summaryText({ ...summary, deliveries: 20, stored: 12, duplicates: 1, conflicts: 1, unmatched: 2, events: 1, rejected: 2, failed: 1 }),
    ).toBe(
      'listen: stopped on SIGINT; 12 deliveries stored of 20 received (1 duplicate, 1 conflicting result kept beside the first, 2 unmatched, ' +
        '1 provider event, 2 rejected, 1 not stored (write failed)); manifest m.jsonl',
    );
    expect(summaryText({ ...summary, interrupted: false, timed_out: true, exit_code: 7, pending: 3 })).toBe(
      'listen: stopped: --timeout ran out; 3 deliveries stored; 3 jobs still pending; manifest m.jsonl',
    );
    expect(summaryText({ ...summary, interrupted: false, exit_code: 0, pending: 0, manifest: 'runs/a.jsonl' })).toBe(
      'listen: done: every job finished (--until-done); 3 deliveries stored; manifest runs/a.jsonl',
    );
  });
});
