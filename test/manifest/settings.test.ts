import { describe, expect, it } from 'vitest';
import { ResumeIndex } from '../../src/manifest/resume-index.js';
import { changedSettings, describeChanges, localSettings, remoteSettings, settingsOfRow } from '../../src/manifest/settings.js';
import type { ManifestRow } from '../../src/manifest/types.js';

const row = (fields: Partial<ManifestRow>): ManifestRow => ({ job_id: 'local_a', status: 'completed', source: 'a.pdf', sha256: 'a'.repeat(64), target: 'local', ts: '2026-01-01T00:00:00.000Z', ...fields });

describe('result settings', () => {
  it('records what changes a result, as strings', () => {
    expect(localSettings({ engine: 'tesseract.js', lang: 'eng+fra', dpi: 150, forceOcr: true })).toEqual({ engine: 'tesseract.js', lang: 'eng+fra', dpi: '150', force_ocr: 'true' });
    expect(remoteSettings('docextract', { z: '1', a: '2' })).toEqual({ provider: 'docextract', 'option.a': '2', 'option.z': '1' });
    expect(Object.keys(remoteSettings('docextract', { z: '1', a: '2' }))).toEqual(['provider', 'option.a', 'option.z']);
  });

  it('reads a row: its settings, else what an older local result says, else nothing', () => {
    expect(settingsOfRow(row({ settings: { lang: 'fra', dpi: '150' } }))).toEqual({ lang: 'fra', dpi: '150' });
    expect(settingsOfRow(row({ result: { engine: 'tesseract.js', lang: 'eng', dpi: 300, pages: [{ page: 1, source: 'ocr', confidence: 90, text: 'x' }] } }))).toEqual({ engine: 'tesseract.js', lang: 'eng', dpi: '300' });
    expect(settingsOfRow(row({ result: { markdown: 'x' } }))).toBeNull();
    const textLayer = { engine: 'tesseract.js', lang: 'eng', dpi: 300, pages: [{ page: 1, source: 'text-layer', confidence: null, text: 'x' }] };
    expect(settingsOfRow(row({ result: textLayer }))).toEqual({ engine: 'tesseract.js' });
    expect(settingsOfRow(row({ status: 'failed' }))).toBeNull();
  });

  it('lists what differs, and describes it in one line', () => {
    const old = { engine: 'tesseract.js', lang: 'eng', dpi: '300', 'option.template': 'a' };
    const now = { engine: 'tesseract.js', lang: 'fra', dpi: '150', force_ocr: 'true' };
    const changes = changedSettings(old, now);
    expect(changes).toEqual([
      { key: 'lang', from: 'eng', to: 'fra' },
      { key: 'dpi', from: '300', to: '150' },
      { key: 'option.template', from: 'a', to: '(none)' },
    ]);
    expect(describeChanges(changes)).toBe('lang eng -> fra, dpi 300 -> 150, option.template a -> (none)');
    expect(changedSettings(undefined, now)).toEqual([]);
  });

  it('the resume index keeps the settings of the latest outcome, interned', () => {
    const index = new ResumeIndex();
    index.update(row({ job_id: 'local_a', status: 'processing' }));
    expect(index.get('local_a')?.settings).toBeUndefined();
    index.update(row({ job_id: 'local_a', text: 'x', settings: { lang: 'eng' } }));
    index.update(row({ job_id: 'local_b', text: 'y', settings: { lang: 'eng' } }));
    expect(index.get('local_a')?.settings).toEqual({ lang: 'eng' });
    expect(index.get('local_a')?.settings).toBe(index.get('local_b')?.settings);
    // A duplicate source adds no outcome: the settings stay.
    index.update(row({ job_id: 'local_a', sources: ['a.pdf', 'b.pdf'] }));
    expect(index.get('local_a')?.settings).toEqual({ lang: 'eng' });
    index.update(row({ job_id: 'local_a', text: 'z', settings: { lang: 'fra' } }));
    expect(index.get('local_a')?.settings).toEqual({ lang: 'fra' });
    // A row without settings keeps those known, as the fold keeps a field no later line writes.
    index.update(row({ job_id: 'local_a', status: 'failed', error: { code: 'OCR_FAILED', message: 'm', category: 'engine' } }));
    expect(index.get('local_a')?.settings).toEqual({ lang: 'fra' });
    // A completed row of an older manifest, without the field: its engine result says what they were.
    index.update(row({ job_id: 'local_a', text: 'w', result: { engine: 'tesseract.js', lang: 'deu', dpi: 300 } }));
    expect(index.get('local_a')?.settings).toEqual({ engine: 'tesseract.js', lang: 'deu', dpi: '300' });
    for (let i = 0; i < 3000; i++) index.update(row({ job_id: `local_${i}`, text: 't', settings: { lang: 'eng' } }));
    expect(index.get('local_2999')?.settings).toEqual({ lang: 'eng' });
  });

  it('a remote job delivered by webhook keeps the settings it was submitted with', () => {
    const index = new ResumeIndex();
    const settings = remoteSettings('docextract', { extractor_id: 'ext_1' });
    index.update(row({ job_id: 'de_1', target: 'docextract', status: 'submitted', idempotency_key: 'k', settings }));
    index.update(row({ job_id: 'de_1', target: 'docextract', status: 'completed', text: 'x' }));
    expect(index.get('de_1')?.settings).toEqual(settings);
  });
});
