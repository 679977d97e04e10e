/**
 * Every remote provider ocrq knows, one entry each; what ocrq knows about a provider lives in its folder
 * (`src/providers/<name>/`, described in `docs/providers/<name>.md`). The CLI reads this file at start-up, so it and
 * the entries stay plain data: adapters and webhook readers are loaded only when used.
 */
import { docextract } from './docextract/index.js';
import { leapocr } from './leapocr/index.js';
import { ocrqueen } from './ocrqueen/index.js';
import { processJob } from './process-job/index.js';
import { qomplement } from './qomplement/index.js';
import type { ProviderEntry } from './common/types.js';

/** In this order on the command line, in `config list` and in messages. */
const ENTRIES = [
  ocrqueen,
  leapocr,
  docextract,
  qomplement,
  processJob,
] as const;

export type ProviderName = (typeof ENTRIES)[number]['name'];

export const PROVIDERS: readonly ProviderName[] = ENTRIES.map((entry) => entry.name);

export const PROVIDER_REGISTRY = Object.fromEntries(ENTRIES.map((entry) => [entry.name, entry])) as {
  readonly [N in ProviderName]: ProviderEntry<N>;
};

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDERS as readonly string[]).includes(value);
}

/** The provider's HTTP adapter, loaded on first use; undefined for a name the registry does not hold. */
export async function loadAdapter(name: ProviderName): Promise<Awaited<ReturnType<ProviderEntry['adapter']>> | undefined> {
  return isProviderName(name) ? PROVIDER_REGISTRY[name].adapter() : undefined;
}

export function hasAdapter(name: ProviderName): boolean {
  return isProviderName(name);
}
