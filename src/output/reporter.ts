import type { Writable } from 'node:stream';
import chalk, { Chalk } from 'chalk';
import cliProgress from 'cli-progress';
import type { RunEvent, RunSummary } from './events.js';
import { formatBytes, formatCount, formatDuration, plural } from './format.js';
import { escapeForDisplay } from './display.js';
import { LineBar } from './line-bar.js';
import { NdjsonWriter } from './ndjson.js';
import { barGraphic, barText, plainText, Progress } from './progress.js';

export type ReporterKind = 'tty' | 'plain' | 'json' | 'silent';

/** Renders a command's events (submit's RunEvents unless told otherwise); close() writes what is still held. */
export interface Reporter<E = RunEvent> {
  emit(event: E): void;
  close(): void;
}

export interface ReporterStreams {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

/** Plain progress lines (and `--json` progress events) this often when there is no terminal (CI logs, cron mail). */
export const PLAIN_INTERVAL_MS = 5_000;

/** `OCRQ_PROGRESS_INTERVAL_MS` overrides PLAIN_INTERVAL_MS (a whole number of milliseconds, at least 1). */
export function progressInterval(env: NodeJS.ProcessEnv): number {
  const text = env.OCRQ_PROGRESS_INTERVAL_MS;
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n >= 1 ? n : PLAIN_INTERVAL_MS;
}

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
  const interval = progressInterval(io.env);
  switch (kind) {
    case 'json':
      return new JsonReporter(io.stdout, now, interval);
    case 'silent':
      return new TextReporter(io.stderr, { progress: 'none', colors: false, quiet: true, interval }, now);
    case 'tty': {
      // A terminal that asked for no colour gets no control codes at all: the bar is then drawn with \r and spaces.
      const colors = colorsAllowed(io.env);
      return new TextReporter(io.stderr, { progress: colors ? 'bar' : 'line-bar', colors, quiet: false, interval }, now);
    }
    default:
      return new TextReporter(io.stderr, { progress: 'lines', colors: false, quiet: false, interval }, now);
  }
}

class JsonReporter implements Reporter {
  private readonly started: number;
  private readonly out: NdjsonWriter;
  private readonly tally: Progress;
  private lastProgress: number;
  private files = 0;
  private done = 0;
  private pages = 0;

  constructor(
    stdout: Writable,
    private readonly now: () => number,
    private readonly interval: number,
  ) {
    this.out = new NdjsonWriter(stdout);
    this.started = now();
    this.tally = new Progress(this.started);
    this.lastProgress = this.started;
  }

  /** A `progress` event at most once an interval, so long runs show life without flooding the stream. */
  private progress(): void {
    const t = this.now();
    if (t - this.lastProgress < this.interval) return;
    this.lastProgress = t;
    const elapsed = t - this.started;
    const s = this.tally.snapshot(t);
    this.write({
      type: 'progress',
      inputs: this.files,
      inputs_done: this.done,
      pages: this.pages,
      pages_per_second: Math.round((this.pages / Math.max(0.001, elapsed / 1000)) * 100) / 100,
      elapsed_ms: Math.round(elapsed),
      files_found: s.found,
      files_done: s.done,
      walk_done: s.walkDone,
      eta_ms: s.etaMs === null ? null : Math.round(s.etaMs),
    });
  }

  emit(event: RunEvent): void {
    this.tally.apply(event);
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
    if (event.type === 'found' || event.type === 'duplicate') {
      this.progress();
      return;
    }
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
        redone_for_settings: s.redone_for_settings,
        processed: s.processed,
        low_confidence_pages: s.low_confidence_pages,
        pages_per_second: s.pages_per_second,
        dry_run: s.dry_run,
        interrupted: s.interrupted,
        manifest: s.manifest,
        failures: s.failures,
        ...(s.bytes !== undefined ? { bytes: s.bytes } : {}),
        ...(s.shard !== undefined ? { shard: s.shard } : {}),
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
  /** `bar`: cli-progress (cursor control codes); `line-bar`: one line redrawn with \r and spaces only. */
  progress: 'bar' | 'line-bar' | 'lines' | 'none';
  colors: boolean;
  quiet: boolean;
  /** Plain lines this often (ms). */
  interval: number;
}

/** The hand-drawn bar's width in cells, and how often it is redrawn at most. */
const LINE_BAR_WIDTH = 20;
const LINE_BAR_MS = 200;
/** Bars are redrawn at least this often, so that the rate and the time left move during a long page. */
const BAR_TICK_MS = 1_000;

class TextReporter implements Reporter {
  private readonly c: InstanceType<typeof Chalk>;
  private readonly started: number;
  private readonly tally: Progress;
  private lastLine = 0;
  private multibar: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private lineBar: LineBar | null = null;
  private lastDrawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly err: Writable & { columns?: number },
    private readonly opts: TextOptions,
    private readonly now: () => number,
  ) {
    // On a terminal that allows colour, at least the basic 16 even when detection found none (a pty, say).
    this.c = new Chalk({ level: opts.colors ? chalk.level || 1 : 0 });
    this.started = now();
    this.tally = new Progress(this.started);
    this.lastLine = this.started;
    if (opts.progress === 'bar') {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: err as NodeJS.WriteStream,
          format: ' {bar} {status}',
          hideCursor: true,
          clearOnComplete: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multibar.create(1, 0, { status: barText(this.tally.snapshot(this.started)) });
      this.timer = setInterval(() => this.progress(), BAR_TICK_MS).unref();
    } else if (opts.progress === 'line-bar') {
      this.lineBar = new LineBar(err);
      this.timer = setInterval(() => this.drawLineBar(true), BAR_TICK_MS).unref();
    } else if (opts.progress === 'lines') {
      // A long page sends no events: the line still comes every interval, so a log shows the run is alive.
      this.timer = setInterval(() => this.plainLine(), opts.interval).unref();
    }
  }

  emit(event: RunEvent): void {
    switch (event.type) {
      case 'document':
        if (event.outcome === 'processed' && event.status === 'failed' && event.error) {
          this.log(`${this.c.red('failed')} ${safe(event.error.code)}: ${withSource(event.source, event.error.message)}`);
        }
        break;
      case 'warning':
        if (!this.opts.quiet) this.log(`${this.c.yellow('warning')}: ${safe(event.message)}`);
        return;
      case 'ready':
        if (!this.opts.quiet) this.log(`listening for webhooks on ${safe(event.url)}`);
        return;
      case 'summary':
        this.finish(event.summary);
        return;
      default:
        break;
    }
    if (this.tally.apply(event)) this.progress();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
    this.lineBar?.clear();
    this.lineBar = null;
  }

  private log(line: string): void {
    // With a bar on screen, lines go above it so the bar is redrawn intact.
    if (this.multibar) this.multibar.log(`ocrq: ${line}\n`);
    else if (this.lineBar) this.lineBar.log(`ocrq: ${line}\n`);
    else this.err.write(`ocrq: ${line}\n`);
  }

  private progress(): void {
    if (this.bar) {
      const s = this.tally.snapshot(this.now());
      // Never 0: cli-progress draws 0 of 0 as a full bar.
      this.bar.setTotal(Math.max(1, s.found));
      this.bar.update(s.done, { status: barText(s) });
      return;
    }
    if (this.lineBar) {
      this.drawLineBar(false);
      return;
    }
    if (this.opts.progress === 'lines') this.plainLine();
  }

  /** At most every LINE_BAR_MS, or `force`d by the clock. */
  private drawLineBar(force: boolean): void {
    if (!this.lineBar) return;
    const t = this.now();
    if (!force && t - this.lastDrawn < LINE_BAR_MS) return;
    this.lastDrawn = t;
    const s = this.tally.snapshot(t);
    this.lineBar.draw(` ${barGraphic(s, LINE_BAR_WIDTH)} ${barText(s)}`);
  }

  /** One plain line at most every interval, once the walk has found something. */
  private plainLine(): void {
    const t = this.now();
    if (t - this.lastLine < this.opts.interval) return;
    const s = this.tally.snapshot(t);
    if (s.found === 0) return;
    this.lastLine = t;
    this.err.write(`ocrq: ${plainText(s)}\n`);
  }

  private finish(s: RunSummary): void {
    this.close();
    const c = this.c;
    if (!this.opts.quiet) {
      const verb = s.dry_run ? 'would process' : 'processed';
      const parts = [
        `${c.green(formatCount(s.completed))} completed`,
        `${s.failed ? c.red(formatCount(s.failed)) : '0'} failed`,
        `${formatCount(s.skipped)} skipped`,
        plural(s.duplicates, 'duplicate'),
      ];
      if (s.pending) parts.push(`${formatCount(s.pending)} pending`);
      this.err.write(
        `ocrq: ${s.shard !== undefined ? `shard ${s.shard}: ` : ''}${plural(s.documents, 'document')} from ${plural(s.files, 'input')}: ${parts.join(', ')}` +
          ` (${verb} ${formatCount(s.processed)}, ${formatCount(s.already_done)} already done)\n`,
      );
      const doubtful = s.low_confidence_pages ? `, ${plural(s.low_confidence_pages, 'page')} with low confidence` : '';
      const read = s.bytes !== undefined ? `, ${formatBytes(s.bytes)} read` : '';
      this.err.write(`ocrq: ${plural(s.pages, 'page')} in ${formatDuration(s.elapsed_ms)} (${s.pages_per_second.toFixed(2)} pages/s)${doubtful}${read}; manifest ${s.manifest}\n`);
      for (const r of s.redone_for_settings) {
        this.err.write(`ocrq: ${plural(r.documents, 'document')} done with other settings (${safe(r.change)}): ${s.dry_run ? 'would be processed again' : 'processed again'}\n`);
      }
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
