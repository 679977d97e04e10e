/** mulberry32: a 32-bit state PRNG in [0, 1); the same seed always gives the same sequence. */
export function mulberry32(seed: number): () => number;
