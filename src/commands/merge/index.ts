/**
 * `ocrq merge M1 M2 … -o OUT`: joins the manifests of shards (`submit --shard K/N` on many machines) into one
 * manifest that `submit --out OUT` resumes and `status`/`export` read (README "Running on many machines").
 *
 * Two passes over every input, holding a few bytes per job (join.ts), then the merged lines written atomically
 * (fold-pass.ts): every job folded onto one line; a content that several shards processed keeps one job, with their
 * sources united, and the others' jobs end `superseded` by it. The inputs are only read; the output is locked while
 * it is replaced, so no run appends to it meanwhile.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, ManifestError, OcrqError, UsageError } from '../../errors.js';
import { plural } from '../../output/format.js';
import { exitCodeForRun, exitCodeForStop, stopForReason } from '../../exit-code.js';
import { removeStaleTempFiles, writeFileAtomic } from '../../manifest/atomic.js';
import { csvChunks } from '../../manifest/csv.js';
import { isSuperseded } from '../../manifest/intents.js';
import { acquireLock, isProcessAlive, lockPathFor, parseLockPid, type ManifestLock } from '../../manifest/lock.js';
import { CorruptLineError, readManifest, readManifestBatches } from '../../manifest/read.js';
import type { ManifestRow } from '../../manifest/types.js';
import { writeToStream } from '../../manifest/write-stream.js';
import { escapeForDisplay } from '../../output/display.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { MergeOptions } from './options.js';
import { checkOutputFile } from '../submit/output-paths.js';
import { mergedLines, type MergeTotals } from './fold-pass.js';
import { refuseInputAsOutput, resolveInputs, type MergeInput } from './inputs.js';
import { ContentGroups, endFirstPass, joinByJobId, ManifestJobs, type InputCounts } from './join.js';

export type { MergeOptions } from './options.js';

export interface MergeInputSummary extends InputCounts {
  manifest: string;
  lines: number;
  /** Its visible jobs whose content another input's job won (they end superseded, or fold into that job). */
  replaced: number;
  /** Bytes of a torn last line, ignored. */
  torn_bytes: number;
}

export interface MergeSummary {
  manifests: number;
  inputs: MergeInputSummary[];
  jobs: number;
  completed: number;
  failed: number;
  skipped: number;
  pending: number;
  /** Contents that jobs of more than one input held. */
  shared_contents: number;
  /** Jobs written as superseded by another input's job for the same content. */
  superseded: number;
  lines: number;
  output: string;
  csv: string | null;
  elapsed_ms: number;
  exit_code: number;
}

/** The command as the CLI runs it: its exit code and summary. */
export async function mergeCommand(options: MergeOptions, deps: CommandDeps): Promise<CommandResult<MergeSummary>> {
  const summary = await merge(options, deps);
  return { exitCode: summary.exit_code, summary };
}

export async function merge(options: MergeOptions, deps: CommandDeps): Promise<MergeSummary> {
  const started = deps.now();
  if (options.json && options.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  const report = new MergeReport(options, deps);
  const inputs = await resolveInputs(options.inputs, deps.cwd);
  const out = path.resolve(deps.cwd, options.out);
  const csv = options.csv === undefined ? undefined : path.resolve(deps.cwd, options.csv);
  if (csv === out) throw new UsageError('--csv and -o name the same file', 'give the CSV view its own file name');
  await refuseInputAsOutput(inputs, out, '-o', options.out);
  if (csv) await refuseInputAsOutput(inputs, csv, '--csv', options.csv!);
  await checkOutputFile(out, '-o');
  if (csv) await checkOutputFile(csv, '--csv');
  for (const input of inputs) await warnIfBeingWritten(input, report);

  const checkpoint = () => {
    if (deps.signal.aborted) throw new MergeInterrupted(deps.signal.reason);
  };
  let lock: ManifestLock | null = null;
  try {
    lock = await acquireLock(out, (message) => report.warning(message));
    const contents = new ContentGroups();
    const tables: ManifestJobs[] = [];
    const withoutHash: number[][] = [];
    const counts: InputCounts[] = [];
    for (const [m, input] of inputs.entries()) {
      // Sized as it grows: a guess from the file's size would be touched all over by the hash table.
      const jobs = new ManifestJobs(input.path);
      await firstPass(input, jobs, contents, report, checkpoint);
      const slots: number[] = [];
      counts.push(jobs.finish(contents, m, slots));
      withoutHash.push(slots);
      tables.push(jobs);
    }
    joinByJobId(tables, withoutHash, contents);
    endFirstPass(tables, contents);

    const totals: MergeTotals = { jobs: 0, completed: 0, failed: 0, skipped: 0, pending: 0, shared: 0, superseded: 0, lines: 0 };
    const replaced = inputs.map(() => 0);
    await removeStaleTempFiles(path.dirname(out), path.basename(out));
    await writeFileAtomic(out, mergedLines(tables, contents, totals, replaced, checkpoint));
    if (csv) {
      await removeStaleTempFiles(path.dirname(csv), path.basename(csv));
      await writeFileAtomic(csv, csvChunks(visibleRows(out)));
    }

    const exitCode = totals.pending > 0 ? ExitCode.Timeout : exitCodeForRun({ completed: totals.completed, failed: totals.failed, pending: 0 }, null);
    const summary: MergeSummary = {
      manifests: inputs.length,
      inputs: inputs.map((input, m) => ({ manifest: input.display, lines: tables[m].lines, ...counts[m], replaced: replaced[m], torn_bytes: tables[m].tornBytes })),
      jobs: totals.jobs,
      completed: totals.completed,
      failed: totals.failed,
      skipped: totals.skipped,
      pending: totals.pending,
      shared_contents: totals.shared,
      superseded: totals.superseded,
      lines: totals.lines,
      output: options.out,
      csv: options.csv ?? null,
      elapsed_ms: Math.round(deps.now() - started),
      exit_code: exitCode,
    };
    await report.summary(summary);
    return summary;
  } finally {
    lock?.release();
  }
}

/**
 * SIGINT, SIGTERM or a closed pipe (SIGPIPE): the merge stops, its temp file is removed, and the output is left as it
 * was.
 */
export class MergeInterrupted extends OcrqError {
  override readonly exitCode: ExitCode;
  constructor(reason: unknown) {
    super(`merge interrupted by ${String(reason)}; the output was not written`, 'run the merge again');
    this.exitCode = exitCodeForStop(stopForReason(reason));
  }
}

async function firstPass(input: MergeInput, jobs: ManifestJobs, contents: ContentGroups, report: MergeReport, checkpoint: () => void): Promise<void> {
  const onTail = (tail: { bytes: number; complete: boolean }) => {
    if (tail.complete) return;
    jobs.tornBytes = tail.bytes;
    report.warning(`manifest ${input.display}: ignored a torn last line (${tail.bytes} bytes, probably cut short by a killed run)`);
  };
  try {
    for await (const batch of readManifestBatches(input.path, { onTail })) {
      checkpoint();
      for (const { row, line } of batch) jobs.update(row, line, contents);
    }
  } catch (error) {
    if (error instanceof CorruptLineError) {
      throw new ManifestError(`${input.display}:${error.line}: corrupt manifest line (${error.reason}); nothing was merged`, `repair or remove line ${error.line} of ${input.display}, then merge again`);
    }
    throw error;
  }
}

/** A shard still running is read as far as it has written; its unfinished jobs count as pending. */
async function warnIfBeingWritten(input: MergeInput, report: MergeReport): Promise<void> {
  const pid = parseLockPid(await readFile(lockPathFor(input.path), 'utf8').catch(() => ''));
  if (pid !== null && pid !== process.pid && isProcessAlive(pid)) {
    report.warning(`manifest ${input.display} is being written by pid ${pid}; what it has not finished yet counts as pending`);
  }
}

/** The merged file has one line per job: its folded view is its visible lines. */
async function* visibleRows(file: string): AsyncGenerator<ManifestRow> {
  for await (const { row } of readManifest(file)) if (!isSuperseded(row)) yield row;
}


function statusParts(c: InputCounts): string {
  const parts = [`${c.completed} completed`, `${c.failed} failed`, `${c.skipped} skipped`];
  if (c.pending) parts.push(`${c.pending} pending`);
  return parts.join(', ');
}

/** Warnings and the summary: lines on stderr, NDJSON on stdout with --json, only errors with --quiet. */
class MergeReport {
  constructor(
    private readonly options: MergeOptions,
    private readonly deps: CommandDeps,
  ) {}

  warning(message: string): void {
    if (this.options.json) this.deps.stdout.write(`${JSON.stringify({ type: 'warning', message })}\n`);
    else if (!this.options.quiet) this.deps.stderr.write(`ocrq: warning: ${escapeForDisplay(message)}\n`);
  }

  async summary(s: MergeSummary): Promise<void> {
    const { inputs, ...totals } = s;
    if (this.options.json) {
      const lines = [...inputs.map((input) => ({ type: 'input', ...input })), { type: 'summary', ...totals }];
      await writeToStream(this.deps.stdout, (async function* () {
        yield lines.map((line) => `${JSON.stringify(line)}\n`).join('');
      })());
      return;
    }
    if (this.options.quiet) return;
    const text: string[] = [];
    for (const input of inputs) {
      const replaced = input.replaced ? `; ${input.replaced} replaced by another manifest's job for the same content` : '';
      text.push(`${escapeForDisplay(input.manifest)}: ${plural(input.jobs, 'job')}: ${statusParts(input)}${replaced}`);
    }
    const shared = s.shared_contents ? `; ${plural(s.shared_contents, 'content')} held by more than one manifest (${s.superseded} superseded)` : '';
    text.push(`merged ${plural(s.manifests, 'manifest')} into ${escapeForDisplay(s.output)}: ${plural(s.jobs, 'job')}: ${statusParts(s)}${shared}`);
    if (s.pending) text.push(`${plural(s.pending, 'job')} still pending: run ocrq submit over the same inputs with --out ${escapeForDisplay(s.output)} to finish them`);
    text.push(`exit code ${s.exit_code}`);
    this.deps.stderr.write(text.map((line) => `ocrq: ${line}\n`).join(''));
  }
}
