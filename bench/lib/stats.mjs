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

/**
 * What a benchmark reports for a ratio measured in several rounds: every round's ratio, their median and range.
 * Rounds whose ratio is not a finite number are kept in `ratios` (as null) but not counted.
 */
export function ratioStats(ratios, digits = 3) {
  const kept = ratios.map((r) => (typeof r === 'number' && Number.isFinite(r) ? round(r, digits) : null));
  const finite = kept.filter((r) => r !== null);
  return { ratios: kept, median: round(median(finite), digits), min: finite.length ? Math.min(...finite) : null, max: finite.length ? Math.max(...finite) : null };
}

/** The row fields for a ratio over rounds: `ratio` is the median, `ratioRange` [min, max], `ratios` every round's. */
export function ratioFields(stats) {
  return { ratio: stats.median, ratioRange: [stats.min, stats.max], ratios: stats.ratios };
}

/**
 * Runs `rounds` rounds of the sides in turn (ocrq, baseline, ocrq, baseline, ...): `sides` maps a name to
 * `async (round) => measurement`. Resolves with each side's measurements, in round order.
 */
export async function alternate(rounds, sides, onRound = () => {}) {
  const out = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  for (let k = 0; k < rounds; k += 1) {
    for (const [name, measure] of Object.entries(sides)) out[name].push(await measure(k));
    onRound(k, Object.fromEntries(Object.keys(sides).map((name) => [name, out[name][k]])));
  }
  return out;
}
