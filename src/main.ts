/**
 * Entry point. `run()` turns argv into an exit code and is where every error becomes one; `main()` wires the real
 * process (streams, signals) and is the only place that exits the process.
 */
import { CommanderError } from 'commander';
import type { CommandDeps } from './commands/deps.js';
import { buildProgram, defaultRunners, type CommandResult, type CommandRunners } from './cli.js';
import { outputWriteError, watchReader } from './closed-pipe.js';
import { ExitCode, InternalError, OcrqError } from './errors.js';
import { exitCodeForError, exitCodeForStop } from './exit-code.js';
import { errorInfo } from './output/error-info.js';
import { redact } from './output/redact.js';

export async function run(argv: string[], deps: CommandDeps, runners: CommandRunners = defaultRunners): Promise<number> {
  let result: CommandResult | null = null;
  const verbose = argv.includes('--verbose');
  const program = buildProgram(deps, runners, (r) => {
    result = r;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (result as CommandResult | null)?.exitCode ?? ExitCode.Ok;
  } catch (err) {
    return reportError(err, deps, { verbose, json: argv.includes('--json') });
  }
}

function reportError(err: unknown, deps: CommandDeps, opts: { verbose: boolean; json: boolean }): number {
  const exitCode = exitCodeForError(err);
  // Commander already printed its message; help and version are successes.
  if (err instanceof CommanderError) return exitCode;
  // Stopped because the reader of the output went away: as a process killed by SIGPIPE, it says nothing.
  if (exitCode === ExitCode.ClosedPipe) return exitCode;
  const known = err instanceof OcrqError && !(err instanceof InternalError);
  const e = err instanceof Error ? err : new Error(String(err));
  const fix = known ? (err as OcrqError).fix : undefined;
  if (known) {
    deps.stderr.write(`ocrq: error: ${redact(e.message)}\n`);
    if (fix) deps.stderr.write(`ocrq: fix: ${redact(fix)}\n`);
  } else {
    deps.stderr.write(`ocrq: internal error: ${redact(e.message)}\n`);
    deps.stderr.write('ocrq: this is a bug; please report it with the command you ran and this output\n');
  }
  if (opts.verbose && e.stack) deps.stderr.write(redact(e.stack) + '\n');
  if (opts.json) {
    // A JSON consumer reads stdout only: it gets the failure in the same envelope as every other event.
    deps.stdout.write(JSON.stringify({ type: 'error', error: errorInfo(err), exit_code: exitCode }) + '\n');
  }
  return exitCode;
}

/**
 * Runs the CLI in this process: real streams, SIGINT/SIGTERM stop new work, a second SIGINT exits at once. A reader of
 * stdout or stderr that goes away (`| head`) stops new work too, as SIGPIPE would have stopped the process: that
 * stream is written to no more, nothing is said, and a command that was stopped by it exits 141. An output that
 * cannot be written for another reason (a full disk) stops it as well, and ends it with 2 and the error.
 */
export async function main(argv: string[]): Promise<never> {
  const controller = new AbortController();
  // stderr going away means the pipeline it fed is gone as well (`2>&1 | head`): the run stops either way.
  const onReaderGone = () => controller.abort('SIGPIPE');
  // An output that cannot be written (a full disk under `> file`) stops the run too; the command then ends with 2.
  let outputFailure: OcrqError | undefined;
  const onFailed = (name: 'standard output' | 'standard error') => (error: Error) => {
    outputFailure ??= outputWriteError(name, error);
    controller.abort('SIGPIPE');
  };
  watchReader(process.stdout, onReaderGone, onFailed('standard output'));
  watchReader(process.stderr, onReaderGone, onFailed('standard error'));
  let signals = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals > 1) {
      // Manifest lines are written whole, so the file still parses; the next run resumes.
      process.stderr.write(`ocrq: ${sig} again; exiting now\n`);
      process.exit(exitCodeForStop(`signal:${sig}`));
    }
    process.stderr.write(`ocrq: ${sig} received; finishing documents in flight and flushing the manifest (again to exit now)\n`);
    controller.abort(sig);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Keep stray library output (engine logs) off stdout, which carries data only.
  // eslint-disable-next-line no-console -- the one place that redirects the console
  console.log = console.info = console.debug = (...args: unknown[]) => process.stderr.write(args.map(String).join(' ') + '\n');

  const deps: CommandDeps = {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
    now: () => performance.timeOrigin + performance.now(),
  };
  let code = await run(argv, deps);
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  // A command that ended with 2 has said why already (a command writing through writeToStream says it is its output).
  if (outputFailure && code !== ExitCode.Usage) code = reportError(outputFailure, deps, { verbose: false, json: argv.includes('--json') });
  process.exit(code);
}
