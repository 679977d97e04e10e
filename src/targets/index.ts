import type { Target } from './types.js';

export interface TargetOptions {
  engine: 'local';
  dryRun: boolean;
  workers: number;
  lang: string;
  langPath?: string;
  dpi: number;
  forceOcr: boolean;
}

/** Picks the target for a run. A dry run gets the null engine, which counts pages and never starts OCR workers. */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.dryRun) {
    const [{ createNullTarget }, { jobIdFor }] = await Promise.all([import('./null.js'), import('./local/engine.js')]);
    return createNullTarget('local', jobIdFor);
  }
  const { createLocalEngine } = await import('./local/engine.js');
  return createLocalEngine({
    workers: options.workers,
    lang: options.lang,
    langPath: options.langPath,
    dpi: options.dpi,
    forceOcr: options.forceOcr,
  });
}
