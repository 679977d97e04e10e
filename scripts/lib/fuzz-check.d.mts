export const ALLOWED_EXIT_CODES: number[];

export interface FuzzRun {
  code: number | null;
  signal: string | null;
  /** Why the run was stopped for taking too long; null or absent when it ended on its own. */
  timedOut?: string | null;
  stdout: string;
  /** Manifest text ('' when there is none). */
  manifest: string;
}

export interface Violation {
  rule: string;
  detail: string;
  source?: string;
}

export interface FoldedRow {
  job_id: string;
  status: string;
  source: string;
  sources: string[];
  error?: { code?: string; message?: string; category?: string; [k: string]: unknown };
  elapsed_ms?: number;
  [k: string]: unknown;
}

export interface RunEvent {
  type: string;
  source?: string;
  [k: string]: unknown;
}

export interface RunCheck {
  runViolations: Violation[];
  violations: Violation[];
  rows: Map<string, FoldedRow | undefined>;
  events: RunEvent[];
  summary: RunEvent | null;
}

export function checkRun(run: FuzzRun, sources: string[]): RunCheck;
export function listingOrder(dir: string, prefix: string): string[];
export function unfinished(check: RunCheck, order: string[]): string[];
export function outcomeKey(row: FoldedRow | undefined): string;
export function limitKind(error: FoldedRow['error']): string;
export function parseEvents(stdout: string, options?: { torn?: boolean }): { events: RunEvent[]; errors: string[] };
export function foldManifest(text: string): { rows: Map<string, FoldedRow>; errors: string[] };
