import type { ProviderName } from '../../../config/keys.js';
import type { ProviderAdapter } from '../adapter.js';

/** Every provider ocrq can submit to, loaded on first use. */
const LOADERS: Partial<Record<ProviderName, () => Promise<ProviderAdapter>>> = {
  ocrqueen: async () => (await import('./ocrqueen.js')).ocrqueen,
  leapocr: async () => (await import('./leapocr.js')).leapocr,
  docextract: async () => (await import('./docextract.js')).docextract,
  qomplement: async () => (await import('./qomplement.js')).qomplement,
  'process-job': async () => (await import('./process-job.js')).processJob,
};

export async function loadAdapter(name: ProviderName): Promise<ProviderAdapter | undefined> {
  return LOADERS[name]?.();
}

export function hasAdapter(name: ProviderName): boolean {
  return LOADERS[name] !== undefined;
}
