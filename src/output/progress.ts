/**
 * What progress displays say, from the run's events: documents found (final once the walk is done) and done, pages
 * read, the rate, and an estimate of the time left. The bar, the plain lines and `--json` progress events all read
 * one Progress, so they never disagree.
 */
import type { RunEvent } from './events.js';
import { formatDuration } from './format.js';

export interface ProgressSnapshot {
  /** Inputs (files and ZIP entries) found so far; final when `walkDone`. */
  found: number;
  walkDone: boolean;
  /** Inputs finished: processed, kept from an earlier run, skipped, or duplicates of content already met. */
  done: number;
  /** Pages read in this run (as they are read, or when a document without page events finishes). */
  pages: number;
  elapsedMs: number;
  /** Pages per second since the run started. */
  pagesPerSecond: number;
  /** Time left, once the walk is done and there is a rate to go by; null until then. */
  etaMs: number | null;
}

/** A document being read, from its page events. */
interface InFlight {
  pages: number;
  of?: number;
}

export class Progress {
  private found = 0;
  private inputs = 0;
  private walkDone = false;
  private done = 0;
  private pages = 0;
  /** Pages of the documents done (0 for those kept, skipped or duplicate): their mean is the guess for the rest. */
  private donePages = 0;
  /** Documents with pages read so far, by source; at most the documents in flight. */
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly started: number) {}

  /** Takes one event in; true when what a display shows may have changed. */
  apply(event: RunEvent): boolean {
    switch (event.type) {
      case 'input':
        this.inputs++;
        return true;
      case 'found':
        if (!this.walkDone) this.found = Math.max(this.found, event.files);
        return true;
      case 'walk_done':
        this.walkDone = true;
        this.found = event.files;
        return true;
      case 'page': {
        this.pages++;
        const doc = this.inFlight.get(event.source) ?? { pages: 0 };
        doc.pages++;
        if (event.pages_in_document !== undefined) doc.of = event.pages_in_document;
        this.inFlight.set(event.source, doc);
        return true;
      }
      case 'document': {
        const seen = this.inFlight.get(event.source)?.pages ?? 0;
        this.inFlight.delete(event.source);
        // A target without page events (a provider, a dry run) reports the pages when the document ends.
        const pages = Math.max(seen, event.pages ?? 0);
        this.pages += pages - seen;
        this.donePages += pages;
        this.done++;
        return true;
      }
      case 'duplicate':
        this.done++;
        return true;
      default:
        return false;
    }
  }

  snapshot(now: number): ProgressSnapshot {
    const elapsedMs = Math.max(0, now - this.started);
    const secs = elapsedMs / 1000;
    const pagesPerSecond = secs > 0 ? this.pages / secs : 0;
    // Counting ahead may miss an archive the walk recognises by its content: what the walk met is found too.
    const found = Math.max(this.found, this.inputs, this.done);
    return { found, walkDone: this.walkDone, done: this.done, pages: this.pages, elapsedMs, pagesPerSecond, etaMs: this.eta(found, secs, pagesPerSecond) };
  }

  /**
   * Pages still to read over the pages per second so far. Pages still to read: the rest of each document in flight
   * whose page count is known, and for every other document not done the mean pages of the documents done (or of
   * those in flight, before any is done). Without pages to go by (a dry run, all kept so far), documents per second.
   */
  private eta(found: number, secs: number, pagesPerSecond: number): number | null {
    if (!this.walkDone) return null;
    const left = found - this.done;
    if (left <= 0) return 0;
    const known = [...this.inFlight.values()].filter((d) => d.of !== undefined);
    const perDocument = this.done > 0 ? this.donePages / this.done : known.length > 0 ? known.reduce((n, d) => n + d.of!, 0) / known.length : 0;
    if (pagesPerSecond > 0 && perDocument > 0) {
      let pagesLeft = (left - known.length) * perDocument;
      for (const d of known) pagesLeft += Math.max(0, d.of! - d.pages);
      for (const d of this.inFlight.values()) if (d.of === undefined) pagesLeft -= Math.min(d.pages, perDocument);
      return (Math.max(0, pagesLeft) / pagesPerSecond) * 1000;
    }
    if (this.done > 0 && secs > 0) return (left / (this.done / secs)) * 1000;
    return null;
  }
}

/** `12,345`. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** A time left, rounded as a person would say it: `40s`, `38m`, `2h05m`. */
export function roughDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${Math.max(1, s)}s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m}m` : formatDuration(m * 60_000);
}

/** The bar's text: `120/5,000 documents | 340 pages | 2.1 pages/s | ETA 38m` (`4,000+` while the walk goes on). */
export function barText(s: ProgressSnapshot): string {
  const eta = s.etaMs === null ? '…' : roughDuration(s.etaMs);
  return `${count(s.done)}/${count(s.found)}${s.walkDone ? '' : '+'} documents | ${count(s.pages)} pages | ${s.pagesPerSecond.toFixed(1)} pages/s | ETA ${eta}`;
}

/** The plain line: `120/5,000 documents (walk done), 340 pages, 2.1 pages/s, about 38m left`. */
export function plainText(s: ProgressSnapshot): string {
  const walk = s.walkDone ? 'walk done' : 'still walking';
  const left = s.etaMs === null ? `${formatDuration(s.elapsedMs)} elapsed` : `about ${roughDuration(s.etaMs)} left`;
  return `${count(s.done)}/${count(s.found)} documents (${walk}), ${count(s.pages)} ${s.pages === 1 ? 'page' : 'pages'}, ${s.pagesPerSecond.toFixed(1)} pages/s, ${left}`;
}

/** `██████░░░░░░`: the share of the documents found that are done. */
export function barGraphic(s: ProgressSnapshot, width: number): string {
  const filled = s.found > 0 ? Math.min(width, Math.round((width * s.done) / s.found)) : 0;
  return '\u2588'.repeat(filled) + '\u2591'.repeat(width - filled);
}
