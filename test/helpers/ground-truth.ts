import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES } from './tmp.js';

export type Truth = { pages: string[]; textLayer: boolean[] } | { error: string } | { skipped: string };

export const GROUND_TRUTH: Record<string, Truth> = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ground-truth.json'), 'utf8'));

/** Documents with known text, as [path relative to fixtures/, truth]. */
export function textFixtures(): Array<[string, { pages: string[]; textLayer: boolean[] }]> {
  return Object.entries(GROUND_TRUTH).filter((e): e is [string, { pages: string[]; textLayer: boolean[] }] => 'pages' in e[1]);
}

/** Upper bound on the character error rate of recognised text against the ground truth. */
export const MAX_CER = 0.05;
