import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/results/delivery-store.js';
import type { JobDelivery } from '../../src/results/payloads.js';

const TEXT = '# Invoice\n| a | b |\n"quoted" & <escaped> \ud800';

function delivery(result: unknown, text: string | undefined = TEXT, more: Partial<JobDelivery> = {}): JobDelivery {
  return { kind: 'job', provider: 'ocrqueen', jobId: 'job_1', eventId: 'evt_1', status: 'completed', text, result, ...more } as JobDelivery;
}

describe('fingerprintOf', () => {
  it('names one outcome the same whatever carried it: event ids, timestamps and attempts aside', () => {
    const a = fingerprintOf(delivery({ markdown: TEXT, pages: 2, event_id: 'evt_1', timestamp: 't1' }));
    const b = fingerprintOf(delivery({ markdown: TEXT, pages: 2, event_id: 'evt_2', timestamp: 't2', attempt: 3 }, TEXT, { eventId: 'evt_2' }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it('tells outcomes apart when a result field that held the text holds something else, or sits elsewhere', () => {
    const base = fingerprintOf(delivery({ markdown: TEXT, pages: 2 }));
    const other = [
      delivery({ markdown: `${TEXT}.`, pages: 2 }),
      delivery({ markdown: null, pages: 2 }),
      delivery({ pages: 2, markdown: TEXT }),
      delivery({ markdown: TEXT, pages: 2, copy: TEXT }),
      delivery({ markdown: TEXT, pages: 3 }),
      delivery({ markdown: 'other', pages: 2 }, 'other'),
      delivery({ markdown: TEXT, pages: 2 }, TEXT, { status: 'failed' }),
      delivery({ markdown: TEXT, pages: 2 }, TEXT, { text: undefined }),
    ].map(fingerprintOf);
    expect(new Set([base, ...other]).size).toBe(other.length + 1);
  });

  it('keeps a field named __proto__ as a field', () => {
    const a = fingerprintOf(delivery(JSON.parse('{"markdown":"x","__proto__":{"a":1}}'), 'x'));
    const b = fingerprintOf(delivery(JSON.parse('{"markdown":"x","__proto__":{"a":2}}'), 'x'));
    expect(a).not.toBe(b);
  });
});
