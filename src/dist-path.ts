/**
 * Where the built scripts are. The worker threads and child processes ocrq starts run files of dist/, whichever way
 * ocrq itself runs: from dist/ as the TypeScript compiler writes it, from the bundle of the command line in dist/
 * (scripts/bundle.mjs, which inlines this module there), or from the sources under the test runner (src/, beside
 * dist/).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** The dist/ folder. */
export const DIST_DIR = here.endsWith('.ts') ? path.resolve(path.dirname(here), '../dist') : path.dirname(here);

/** The built script at `rel` (as `walk/probe-worker.js`) under dist/. */
export function distScript(rel: string): string {
  return path.join(DIST_DIR, rel);
}
