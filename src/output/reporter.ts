import type { Writable } from 'node:stream';
import chalk, { Chalk } from 'chalk';
import cliProgress from 'cli-progress';
import type { RunEvent, RunSummary } from './events.js';
import { formatDuration, plural } from './format.js';
import { escapeForDisplay } from './display.js';
import { NdjsonWriter } from './ndjson.js';

export type ReporterKind = 'tty' | 'plain' | 'json' | 'silent';

/** Renders a command's events (submit's RunEvents unless told otherwise); close() writes what is still held. */
export interface Reporter<E = RunEvent> {
  emit(event: E): void;
  close(): void;
}

export interface ReporterStreams {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Plain progress lines at most this often when there is no terminal (CI logs, cron mail). */
export const PLAIN_INTERVAL_MS = 5_000;

/**
 * Bars only when both streams are terminals, `CI` is unset and `TERM` is not `dumb` (npm's rule); otherwise plain
 * lines, so logs stay free of control codes.
 */
export function chooseReporterKind(opts: { json: boolean; quiet: boolean }, io: ReporterStreams): ReporterKind {
  if (opts.json) return 'json';
  if (opts.quiet) return 'silent';
  const interactive = Boolean(io.stdout.isTTY && io.stderr.isTTY) && !io.env.CI && io.env.TERM !== 'dumb';
  return interactive ? 'tty' : 'plain';
}

/**
 * A terminal that asked for no colour gets none: `NO_COLOR` with any value (no-color.org), or `FORCE_COLOR` set to
 * 0 or false. Nothing here turns colour on where it was turned off.
 */
export function colorsAllowed(env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
}

export function createReporter(kind: ReporterKind, io: ReporterStreams, now: () => number = Date.now): Reporter {
  switch (kind) {
    case 'json':
      return new JsonReporter(io.stdout, now);
    case 'silent':
      return new TextReporter(io.stderr, { progress: 'none', colors: false, quiet: true }, now);
    case 'tty':
      return new TextReporter(io.stderr, { progress: 'bar', colors: colorsAllowed(io.env), quiet: false }, now);
    default:
      return new TextReporter(io.stderr, { progress: 'lines', colors: false, quiet: false }, now);
  }
}

class JsonReporter implements Reporter {
  private readonly started: number;
  private readonly out: NdjsonWriter;
  private lastProgress: number;
  private files = 0;
  private done = 0;
  private pages = 0;

  constructor(
    stdout: Writable,
    private readonly now: () => number,
  ) {
    this.out = new NdjsonWriter(stdout);
    this.started = now();
    this.lastProgress = this.started;
  }

  /** A `progress` event at most every PLAIN_INTERVAL_MS, so long runs show life without flooding the stream. */
  private progress(): void {
    const t = this.now();
    if (t - this.lastProgress < PLAIN_INTERVAL_MS) return;
    this.lastProgress = t;
    const elapsed = t - this.started;
    this.write({
      type: 'progress',
      inputs: this.files,
      inputs_done: this.done,
      pages: this.pages,
      pages_per_second: Math.round((this.pages / Math.max(0.001, elapsed / 1000)) * 100) / 100,
      elapsed_ms: Math.round(elapsed),
    });
  }

  emit(event: RunEvent): void {
    if (event.type === 'input') {
      this.files++;
      return;
    }
    if (event.type === 'page') {
      this.pages++;
      this.progress();
      return;
    }
    // Progress only: the count so far, and duplicates (the summary counts them).
    if (event.type === 'found' || event.type === 'duplicate') return;
    if (event.type === 'document') this.done++;
    if (event.type === 'summary') {
      const s = event.summary;
      this.write({
        type: 'summary',
        files: s.files,
        documents: s.documents,
        completed: s.completed,
        failed: s.failed,
        skipped: s.skipped,
        duplicates: s.duplicates,
        pending: s.pending,
        pages: s.pages,
        elapsed_ms: s.elapsed_ms,
        exit_code: s.exit_code,
        already_done: s.already_done,
        processed: s.processed,
        low_confidence_pages: s.low_confidence_pages,
        pages_per_second: s.pages_per_second,
        dry_run: s.dry_run,
        interrupted: s.interrupted,
        manifest: s.manifest,
        failures: s.failures,
      });
      this.out.flush();
      return;
    }
    this.write(event);
    if (event.type === 'document') this.progress();
  }

  private write(obj: object): void {
    this.out.write(obj);
  }

  close(): void {
    this.out.flush();
  }
}

interface TextOptions {
  progress: 'bar' | 'lines' | 'none';
  colors: boolean;
  quiet: boolean;
}

class TextReporter implements Reporter {
  private readonly c: InstanceType<typeof Chalk>;
  private readonly started: number;
  private files = 0;
  private walkDone = false;
  private docsDone = 0;
  private pages = 0;
  private lastLine = 0;
  private multibar: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly err: Writable,
    private readonly opts: TextOptions,
    private readonly now: () => number,
  ) {
    // On a terminal that allows colour, at least the basic 16 even when detection found none (a pty, say).
    this.c = new Chalk({ level: opts.colors ? chalk.level || 1 : 0 });
    this.started = now();
    this.lastLine = this.started;
    if (opts.progress === 'bar') {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: err as NodeJS.WriteStream,
          format: ' {bar} {value}/{total} documents | {pages} pages | {rate} pages/s | ETA {eta_text}',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multibar.create(0, 0, { pages: 0, rate: '0.0', eta_text: '…' });
    }
  }

  emit(event: RunEvent): void {
    switch (event.type) {
      case 'input':
        this.files++;
        break;
      case 'walk_done':
        this.walkDone = true;
        this.files = event.files;
        break;
      case 'page':
        this.pages++;
        break;
      case 'document':
        this.docsDone++;
        if (event.outcome === 'processed' && event.status === 'failed' && event.error) {
          this.log(`${this.c.red('failed')} ${safe(event.error.code)}: ${withSource(event.source, event.error.message)}`);
        }
        break;
      case 'warning':
        if (!this.opts.quiet) this.log(`${this.c.yellow('warning')} ${safe(event.message)}`);
        return;
      case 'ready':
        if (!this.opts.quiet) this.log(`listening for webhooks on ${safe(event.url)}`);
        return;
      case 'summary':
        this.finish(event.summary);
        return;
      default:
        return;
    }
    this.progress();
  }

  close(): void {
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
  }

  private log(line: string): void {
    // With a bar on screen, lines go above it so the bar is redrawn intact.
    if (this.multibar) this.multibar.log(`ocrq: ${line}\n`);
    else this.err.write(`ocrq: ${line}\n`);
  }

  private rate(): number {
    const secs = (this.now() - this.started) / 1000;
    return secs > 0 ? this.pages / secs : 0;
  }

  private progress(): void {
    const total = this.files;
    if (this.bar) {
      const remaining = Math.max(0, total - this.docsDone);
      const docRate = this.docsDone / Math.max(0.001, (this.now() - this.started) / 1000);
      const eta = this.walkDone && docRate > 0 ? formatDuration((remaining / docRate) * 1000) : '…';
      this.bar.setTotal(total);
      this.bar.update(this.docsDone, { pages: this.pages, rate: this.rate().toFixed(1), eta_text: eta });
      return;
    }
    if (this.opts.progress !== 'lines') return;
    const t = this.now();
    if (t - this.lastLine < PLAIN_INTERVAL_MS) return;
    this.lastLine = t;
    const of = this.walkDone ? `/${total}` : ` (${total} found so far)`;
    this.err.write(`ocrq: ${this.docsDone}${of} inputs done, ${this.pages} pages, ${this.rate().toFixed(1)} pages/s, ${formatDuration(t - this.started)} elapsed\n`);
  }

  private finish(s: RunSummary): void {
    this.close();
    const c = this.c;
    if (!this.opts.quiet) {
      const verb = s.dry_run ? 'would process' : 'processed';
      const parts = [
        `${c.green(String(s.completed))} completed`,
        `${s.failed ? c.red(String(s.failed)) : '0'} failed`,
        `${s.skipped} skipped`,
        plural(s.duplicates, 'duplicate'),
      ];
      if (s.pending) parts.push(`${s.pending} pending`);
      this.err.write(
        `ocrq: ${plural(s.documents, 'document')} from ${plural(s.files, 'input')}: ${parts.join(', ')}` +
          ` (${verb} ${s.processed}, ${s.already_done} already done)\n`,
      );
      const doubtful = s.low_confidence_pages ? `, ${plural(s.low_confidence_pages, 'page')} with low confidence` : '';
      this.err.write(`ocrq: ${plural(s.pages, 'page')} in ${formatDuration(s.elapsed_ms)} (${s.pages_per_second.toFixed(2)} pages/s)${doubtful}; manifest ${s.manifest}\n`);
      const skipped = Object.entries(s.skipped_by_code);
      if (skipped.length) this.err.write(`ocrq: skipped: ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    }
    if (s.failures.length) {
      this.err.write(`ocrq: ${c.red('failed documents')}:\n`);
      for (const f of s.failures) this.err.write(`  ${c.bold(safe(f.code))}  ${withSource(f.source, f.message)}\n`);
    }
    if (s.interrupted) this.err.write(`ocrq: interrupted; the manifest is flushed; run the same command again to resume\n`);
  }
}

/** `1 document`, `2 documents`. */

/** Names and library messages are untrusted: control characters must not reach the terminal. */
const safe = escapeForDisplay;

/** Error messages usually start with the source already; do not print it twice. */
function withSource(source: string, message: string): string {
  const name = safe(source);
  const text = safe(message);
  return text.startsWith(name) ? text : `${name}: ${text}`;
}
