import os from 'node:os';
import type { TargetDocument } from './types.js';
import { DEFAULT_BUDGETS, type Budgets } from '../isolate/budgets.js';
import { IsolatedPool } from '../isolate/pool.js';

/** Counts pages for targets that do not OCR here (dry runs, remote providers). */
export interface PageCounter {
  /** A PDF's page count (null when it cannot be opened); 1 for an image. */
  count(doc: TargetDocument): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * Page counts come from document workers too: opening an untrusted PDF is work on its bytes. The workers, without an
 * OCR engine, start with the first PDF, so a run over images or a provider that takes no PDFs never starts them.
 */
export function createPageCounter(budgets: Budgets = DEFAULT_BUDGETS): PageCounter {
  let pool: Promise<IsolatedPool> | null = null;
  let documents = 0;
  return {
    async count(doc) {
      if (doc.type !== 'pdf') return 1;
      pool ??= IsolatedPool.start({ workers: Math.min(2, os.availableParallelism()), lang: null, budgets });
      const workers = await pool;
      const key = `c${++documents}`;
      try {
        return (await workers.run({ key, source: doc.source, data: doc.data }, { kind: 'count' }, { label: `${doc.source}: counting pages` })).value.pages;
      } catch {
        return null;
      } finally {
        workers.release(key);
      }
    },
    async close() {
      const started = await pool?.catch(() => null);
      await started?.close();
    },
  };
}
