// Seeded pseudo-random numbers for generated corpora and mutants: the same seed always gives the same bytes.

/** mulberry32: a 32-bit state PRNG in [0, 1); small, fast, and good enough to pick words and mutations. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
