// Small numeric helpers shared by the benchmarks.

/** Median of the finite numbers in `xs`; null when there are none. */
export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds to `digits` decimals, keeping the result a number (NaN and null pass through). */
export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  return Number(x.toFixed(digits));
}

/** Most timestamps (ms, sorted ascending) that fall in any half-open window [t, t + widthMs). */
export function worstWindow(sortedMs, widthMs = 1000) {
  let worst = 0;
  let start = 0;
  for (let end = 0; end < sortedMs.length; end += 1) {
    while (sortedMs[end] - sortedMs[start] >= widthMs) start += 1;
    worst = Math.max(worst, end - start + 1);
  }
  return worst;
}

export const mebibytes = (kib) => (kib === null || kib === undefined ? null : round(kib / 1024, 1));
