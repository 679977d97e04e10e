import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/output/events.js';
import { barGraphic, barText, plainText, Progress, roughDuration } from '../../src/output/progress.js';

const page = (source: string, n: number, of?: number): RunEvent => ({ type: 'page', source, page: n, page_source: 'ocr', ...(of === undefined ? {} : { pages_in_document: of }) });
const done = (source: string, pages?: number): RunEvent => ({ type: 'document', job_id: `j-${source}`, status: 'completed', source, outcome: 'processed', pages });

function feed(p: Progress, events: RunEvent[]): Progress {
  for (const e of events) p.apply(e);
  return p;
}

describe('Progress', () => {
  it('while the walk goes on: the documents found so far, no time left yet', () => {
    const p = feed(new Progress(0), [{ type: 'input', source: 'a.pdf' }, { type: 'found', files: 4200 }, { type: 'input', source: 'b.pdf' }, done('a.pdf', 2)]);
    const s = p.snapshot(2_000);
    expect(s).toMatchObject({ found: 4200, walkDone: false, done: 1, pages: 2, etaMs: null });
    expect(barText(s)).toBe('1/4,200+ documents | 2 pages | 1.0 pages/s | ETA …');
    expect(plainText(s)).toBe('1/4,200 documents (still walking), 2 pages, 1.0 pages/s, 2.0s elapsed');
  });

  it('the walk met more than the count found (an archive under another name): the total follows the walk', () => {
    const p = feed(new Progress(0), [{ type: 'walk_done', files: 1 }, { type: 'input', source: 'x' }, { type: 'input', source: 'x!/a.png' }, { type: 'input', source: 'x!/b.png' }]);
    expect(p.snapshot(1).found).toBe(3);
  });

  it('once the walk is done: the total is final, duplicates are done too, and the time left comes from pages per second', () => {
    const events: RunEvent[] = [{ type: 'walk_done', files: 10 }];
    for (const d of ['a', 'b']) events.push(page(d, 1), page(d, 2), page(d, 3), done(d, 3));
    events.push({ type: 'duplicate', source: 'c' });
    const p = feed(new Progress(0), events);
    // 6 pages in 6 s; 3 documents done with 6 pages: 2 pages each for the 7 left, 14 s.
    const s = p.snapshot(6_000);
    expect(s).toMatchObject({ found: 10, walkDone: true, done: 3, pages: 6, pagesPerSecond: 1, etaMs: 14_000 });
    expect(plainText(s)).toBe('3/10 documents (walk done), 6 pages, 1.0 pages/s, about 14s left');
    expect(barText(s)).toBe('3/10 documents | 6 pages | 1.0 pages/s | ETA 14s');
    expect(barGraphic(s, 10)).toBe('███░░░░░░░');
  });

  it('inside one long PDF, before any document is done: the time left from its page count', () => {
    const events: RunEvent[] = [{ type: 'walk_done', files: 1 }];
    for (let n = 1; n <= 30; n++) events.push(page('big.pdf', n, 300));
    const s = feed(new Progress(0), events).snapshot(60_000);
    // 30 of 300 pages in a minute: 270 pages at 0.5 pages/s.
    expect(s).toMatchObject({ done: 0, pages: 30, etaMs: 540_000 });
    expect(plainText(s)).toBe('0/1 documents (walk done), 30 pages, 0.5 pages/s, about 9m left');
  });

  it('counts the pages of a document that had no page events (a provider, a dry run) when it ends', () => {
    const p = feed(new Progress(0), [{ type: 'walk_done', files: 2 }, page('a', 1), done('a', 1), done('b', 4)]);
    expect(p.snapshot(1_000)).toMatchObject({ pages: 5, done: 2, etaMs: 0 });
  });

  it('without pages to go by (everything kept or skipped so far), the time left from documents per second', () => {
    const kept: RunEvent = { type: 'document', job_id: 'j', status: 'completed', source: 'k', outcome: 'kept' };
    const p = feed(new Progress(0), [{ type: 'walk_done', files: 4 }, kept, kept]);
    expect(p.snapshot(1_000).etaMs).toBe(1_000);
    expect(feed(new Progress(0), [{ type: 'walk_done', files: 4 }]).snapshot(1_000).etaMs).toBeNull();
  });

  it('says a time left as a person would', () => {
    expect([400, 40_000, 89_000, 38 * 60_000, 125 * 60_000].map(roughDuration)).toEqual(['1s', '40s', '1m', '38m', '2h05m']);
  });
});
