export const MAX_MUTANT_BYTES: number;
/** The default seed documents, relative to fixtures/. */
export const DEFAULT_SEED_FILES: readonly string[];
export const EXTENSIONS: Record<string, string>;

export interface SeedDocument {
  /** Stable name, e.g. `pdfs/scanned.pdf`. */
  name: string;
  data: Buffer;
}

export interface Mutant {
  data: Buffer;
  /** Name of the seed document it was made from. */
  seed: string;
  /** Type of the seed document (`pdf`, `png`, …). */
  kind: string;
  /** Mutations applied, readable. */
  ops: string[];
  /** The PRNG seed of this mutant (from the master seed and its index). */
  mutantSeed: number;
}

/** Mutant `index` of a run seeded with `masterSeed`; `weights` favour seeds by name or type (default 1). */
export function mutate(seeds: SeedDocument[], masterSeed: number, index: number, options?: { weights?: Record<string, number> }): Mutant;
export function mutantSeed(masterSeed: number, index: number): number;
export function mulberry32(seed: number): () => number;
export function sniffKind(data: Buffer): string;
export function crc32(bytes: Uint8Array): number;
