import { onTestFinished } from 'vitest';
import { startFakeProvider, type ProviderOptionsMap } from './index.js';
import { sha256Hex } from './job-store.js';
import type { ProviderName } from './types.js';

/** A fake for one test, closed when the test finishes. */
export async function useFake<N extends ProviderName>(name: N, options?: ProviderOptionsMap[N]) {
  const fake = await startFakeProvider(name, options);
  onTestFinished(() => fake.close());
  return fake;
}

/** A tiny PDF-looking document whose hash depends on `tag`. */
export function pdf(tag: string): { data: Buffer; sha: string } {
  const data = Buffer.from(`%PDF-1.4\n% ${tag}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n`);
  return { data, sha: sha256Hex(data) };
}

export function form(fields: Record<string, string | { data: Buffer; type?: string; name: string }>): FormData {
  const f = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') f.append(key, value);
    else f.append(key, new Blob([value.data], value.type ? { type: value.type } : {}), value.name);
  }
  return f;
}

export async function body(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** GETs `url` until `done(body)` (bounded), returning every body seen. */
export async function pollUntil(
  url: string,
  init: RequestInit,
  done: (b: Record<string, unknown>) => boolean,
  max = 10,
): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  for (let i = 0; i < max; i++) {
    const b = await body(await fetch(url, init));
    seen.push(b);
    if (done(b)) return seen;
  }
  throw new Error(`not done after ${max} polls: ${JSON.stringify(seen.at(-1))}`);
}
