import { MAX_UNFINISHED_ATTEMPTS } from '../isolate/budgets.js';
import { changedSettings, type ResultSettings, type SettingChange } from '../manifest/settings.js';
import type { IndexEntry } from '../manifest/types.js';

/** What a re-run asks for; see README "Resume". */
export interface ResumePolicy {
  force: boolean;
  /** true: retry every failure; a list: only failures with these codes; false: leave failures alone. */
  retryFailed: boolean | readonly string[];
  /** Runs that may die while a document is in progress before it is given up (CRASHED_REPEATEDLY); default 2. */
  maxUnfinishedAttempts?: number;
  /** The settings this run's results depend on; a completed job made with other ones is processed again. */
  settings?: ResultSettings;
}

export type PlanDecision =
  | { action: 'process'; reason: 'new' | 'force' | 'retry-failed' | 'unfinished' }
  | { action: 'process'; reason: 'settings'; changes: SettingChange[] }
  | { action: 'keep'; status: 'completed' | 'failed' | 'skipped' }
  | { action: 'give-up'; attempts: number };

/**
 * Decides what to do with one document given what the manifest already says about its job.
 * Pure: the resume diff is a function of the index entry and the policy only.
 */
export function planDocument(entry: IndexEntry | undefined, policy: ResumePolicy): PlanDecision {
  if (!entry) return { action: 'process', reason: 'new' };
  // Like a queue's dead-letter rule: a document that was in progress each time a run died is not tried again, even
  // with --force, until it is recorded as failed (then --retry-failed or --force bring it back on purpose).
  const attempts = entry.status === 'processing' ? (entry.unfinishedAttempts ?? 0) : 0;
  if (attempts >= (policy.maxUnfinishedAttempts ?? MAX_UNFINISHED_ATTEMPTS)) return { action: 'give-up', attempts };
  if (policy.force) return { action: 'process', reason: 'force' };
  switch (entry.status) {
    case 'completed': {
      const changes = changedSettings(entry.settings, policy.settings);
      if (changes.length > 0) return { action: 'process', reason: 'settings', changes };
      return { action: 'keep', status: 'completed' };
    }
    case 'skipped':
      return { action: 'keep', status: entry.status };
    case 'failed':
      if (shouldRetry(entry.errorCode, policy.retryFailed)) return { action: 'process', reason: 'retry-failed' };
      return { action: 'keep', status: 'failed' };
    default:
      // submitted/processing: the previous run stopped before a result was recorded.
      return { action: 'process', reason: 'unfinished' };
  }
}

function shouldRetry(code: string | undefined, retryFailed: ResumePolicy['retryFailed']): boolean {
  if (retryFailed === true) return true;
  if (retryFailed === false) return false;
  return code !== undefined && retryFailed.includes(code);
}

/** Sources to record for a job: the ones it had plus the new one, in first-seen order, without repeats. */
export function mergeSources(known: readonly string[], added: string): string[] | null {
  if (known.includes(added)) return null;
  return [...known, added];
}
