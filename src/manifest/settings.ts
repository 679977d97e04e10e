/**
 * The settings a result depends on. Each completed row records them (`settings`); a re-run whose settings differ
 * processes those documents again, and says which changed. Settings that do not change a result (workers, rates,
 * output files) are never part of them, so changing those never triggers work. docs/manifest.md lists the keys.
 */

/** Setting name → value, as recorded in a row (values are strings, so any two compare exactly). */
export type ResultSettings = Readonly<Record<string, string>>;

export interface SettingChange {
  key: string;
  from: string;
  to: string;
}

/** The local engine's settings. */
export function localSettings(o: { engine: string; lang: string; dpi: number; forceOcr: boolean }): ResultSettings {
  return { engine: o.engine, lang: o.lang, dpi: String(o.dpi), force_ocr: String(o.forceOcr) };
}

/** A remote provider's settings: which provider, and every `--option` sent to it, in a stable order. */
export function remoteSettings(provider: string, options: Readonly<Record<string, string>>): ResultSettings {
  const settings: Record<string, string> = { provider };
  for (const key of Object.keys(options).sort()) settings[`option.${key}`] = options[key];
  return settings;
}

/**
 * The settings a row was made with: its `settings` field; for rows written before it existed, what the local
 * engine's `result` says (engine, lang, dpi). Null when nothing is known, and then nothing is assumed to differ.
 */
export function settingsOfRow(row: Readonly<Record<string, unknown>>): ResultSettings | null {
  const recorded = row.settings;
  if (typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded)) {
    const settings: Record<string, string> = {};
    for (const [key, value] of Object.entries(recorded)) if (typeof value === 'string') settings[key] = value;
    return settings;
  }
  const result = row.result;
  if (row.status !== 'completed' || typeof result !== 'object' || result === null) return null;
  const { engine, lang, dpi, pages } = result as { engine?: unknown; lang?: unknown; dpi?: unknown; pages?: unknown };
  const settings: Record<string, string> = {};
  if (typeof engine === 'string') settings.engine = engine;
  // A document read entirely from its text layer did not depend on the OCR language or resolution.
  const ocred = !Array.isArray(pages) || pages.some((p) => (p as { source?: unknown } | null)?.source === 'ocr');
  if (ocred && typeof lang === 'string') settings.lang = lang;
  if (ocred && typeof dpi === 'number') settings.dpi = String(dpi);
  return Object.keys(settings).length > 0 ? settings : null;
}

/**
 * What differs between the settings a result was made with and the run's. A key the result does not record (an
 * older manifest, another target's keys) is not a difference: only what is known to differ triggers work.
 */
export function changedSettings(recorded: ResultSettings | undefined, current: ResultSettings | undefined): SettingChange[] {
  if (!recorded || !current) return [];
  const changes: SettingChange[] = [];
  for (const key of Object.keys(current)) {
    if (!Object.hasOwn(recorded, key)) continue;
    if (recorded[key] !== current[key]) changes.push({ key, from: recorded[key], to: current[key] });
  }
  // A provider option the result was made with and this run no longer sends.
  for (const key of Object.keys(recorded)) {
    if (key.startsWith('option.') && !Object.hasOwn(current, key)) changes.push({ key, from: recorded[key], to: '(none)' });
  }
  return changes;
}

/** `lang eng -> fra, dpi 300 -> 150`. */
export function describeChanges(changes: readonly SettingChange[]): string {
  return changes.map((c) => `${c.key.replace(/_/g, '-')} ${c.from} -> ${c.to}`).join(', ');
}
