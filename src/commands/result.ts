/**
 * What every command returns: its exit code, and its summary (what it did, in the snake_case of its --json output).
 * cli.ts hands the options, `run()` in main.ts takes the exit code; exit codes come from exit-code.ts.
 */
export interface CommandResult<Summary = unknown> {
  exitCode: number;
  summary: Summary;
}
