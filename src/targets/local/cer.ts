/** Lower-cases and collapses every run of whitespace to one space, so layout differences do not count. */
export function normalizeForCer(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Levenshtein distance over code points, in O(min(a, b)) memory. */
export function editDistance(a: string, b: string): number {
  let s = Array.from(a);
  let t = Array.from(b);
  if (s.length < t.length) [s, t] = [t, s];
  let previous = Array.from({ length: t.length + 1 }, (_, i) => i);
  let current = new Array<number>(t.length + 1);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const substitution = previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[t.length];
}

/**
 * Character error rate of `hypothesis` against `reference`: edit distance divided by the reference length,
 * both normalised with `normalizeForCer`. An empty reference gives 0 when the hypothesis is empty too, else 1.
 */
export function characterErrorRate(hypothesis: string, reference: string): number {
  const hyp = normalizeForCer(hypothesis);
  const ref = normalizeForCer(reference);
  const refLength = Array.from(ref).length;
  if (refLength === 0) return hyp.length === 0 ? 0 : 1;
  return editDistance(hyp, ref) / refLength;
}
