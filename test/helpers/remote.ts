import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProviderName } from '../../src/providers/registry.js';
import { sha256Hex } from '../../src/documents/hash.js';
import { GROUND_TRUTH } from './ground-truth.js';
import { FIXTURES } from './tmp.js';

/** Provider-specific bits the shared remote tests need. */
export interface ProviderCase {
  name: ProviderName;
  /** `--option`s the provider requires. */
  options: string[];
  /** Fixture files (relative to fixtures/) this provider takes. */
  files: string[];
  /** The text ocrq records for a completed document, given the fake's page texts; null when the provider returns fields, not text. */
  expectedText(pages: string[]): string | null;
  /** The code a failed job carries when the provider has its own (default PDF_PASSWORD_PROTECTED, as the fake fails it). */
  failureCode?: string;
}

/** Copies fixtures (paths relative to fixtures/) into `dir`/docs; returns their bytes by base name. */
export async function copyFixtures(dir: string, files: string[]): Promise<Map<string, Buffer>> {
  const data = new Map<string, Buffer>();
  await fs.mkdir(path.join(dir, 'docs'), { recursive: true });
  for (const rel of files) {
    const bytes = await fs.readFile(path.join(FIXTURES, rel));
    await fs.writeFile(path.join(dir, 'docs', path.basename(rel)), bytes);
    data.set(path.basename(rel), bytes);
  }
  return data;
}

/** A corpus copied from fixtures/, and the fake's `texts`/`failures` maps keyed by content hash. */
export async function makeRemoteCorpus(dir: string, files: string[]) {
  const texts = new Map<string, { pages: string[] }>();
  const failures = new Map<string, { code: string; message: string }>();
  const bySource = new Map<string, string>();
  const copied = await copyFixtures(dir, files);
  for (const rel of files) {
    const data = copied.get(path.basename(rel))!;
    const source = `docs/${path.basename(rel)}`;
    const sha = sha256Hex(data);
    bySource.set(source, sha);
    const truth = GROUND_TRUTH[rel];
    if (truth && 'pages' in truth) texts.set(sha, { pages: truth.pages });
    else failures.set(sha, { code: 'PDF_PASSWORD_PROTECTED', message: 'the document is locked' });
  }
  return { texts, failures, bySource };
}

/** N distinct small documents (a PNG fixture with different trailing bytes). */
export async function makeManyDocs(dir: string, n: number): Promise<Map<string, { pages: string[] }>> {
  const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
  await fs.mkdir(path.join(dir, 'many'), { recursive: true });
  const texts = new Map<string, { pages: string[] }>();
  for (let i = 0; i < n; i++) {
    const data = Buffer.concat([png, Buffer.from(`#${i}`)]);
    await fs.writeFile(path.join(dir, 'many', `d${String(i).padStart(4, '0')}.png`), data);
    texts.set(sha256Hex(data), { pages: [`document number ${i}`] });
  }
  return texts;
}
