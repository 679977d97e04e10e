import { describe, expect, it } from 'vitest';
import { ExclusiveGate } from '../../src/submit/pipeline.js';
import { mergeSources, planDocument, type ResumePolicy } from '../../src/submit/plan.js';
import type { IndexEntry } from '../../src/manifest/types.js';

const none: ResumePolicy = { force: false, retryFailed: false };
const entry = (status: IndexEntry['status'], errorCode?: string): IndexEntry => ({ status, sources: ['a.pdf'], errorCode });

describe('planDocument', () => {
  it.each<[string, IndexEntry | undefined, ResumePolicy, ReturnType<typeof planDocument>]>([
    ['new document', undefined, none, { action: 'process', reason: 'new' }],
    ['completed is kept', entry('completed'), none, { action: 'keep', status: 'completed' }],
    ['failed is kept by default', entry('failed', 'PDF_INVALID'), none, { action: 'keep', status: 'failed' }],
    ['--retry-failed retries every failure', entry('failed', 'PDF_INVALID'), { force: false, retryFailed: true }, { action: 'process', reason: 'retry-failed' }],
    ['--retry-failed CODE retries that code', entry('failed', 'OCR_FAILED'), { force: false, retryFailed: ['OCR_FAILED'] }, { action: 'process', reason: 'retry-failed' }],
    ['--retry-failed CODE leaves other codes', entry('failed', 'PDF_PASSWORD_PROTECTED'), { force: false, retryFailed: ['OCR_FAILED'] }, { action: 'keep', status: 'failed' }],
    ['--force redoes completed', entry('completed'), { force: true, retryFailed: false }, { action: 'process', reason: 'force' }],
    ['an unfinished job is processed', entry('processing'), none, { action: 'process', reason: 'unfinished' }],
    ['a submitted job is processed', entry('submitted'), none, { action: 'process', reason: 'unfinished' }],
    ['one run died during it: tried again', { ...entry('processing'), unfinishedAttempts: 1 }, none, { action: 'process', reason: 'unfinished' }],
    ['two runs died during it: given up', { ...entry('processing'), unfinishedAttempts: 2 }, none, { action: 'give-up', attempts: 2 }],
    ['given up even with --force', { ...entry('processing'), unfinishedAttempts: 2 }, { force: true, retryFailed: true }, { action: 'give-up', attempts: 2 }],
    ['a clean stop took its attempt back', { ...entry('processing'), unfinishedAttempts: 0 }, none, { action: 'process', reason: 'unfinished' }],
    ['a bound of 3 tries a third time', { ...entry('processing'), unfinishedAttempts: 2 }, { ...none, maxUnfinishedAttempts: 3 }, { action: 'process', reason: 'unfinished' }],
    ['CRASHED_REPEATEDLY comes back with --retry-failed', entry('failed', 'CRASHED_REPEATEDLY'), { force: false, retryFailed: ['CRASHED_REPEATEDLY'] }, { action: 'process', reason: 'retry-failed' }],
    [
      'completed with another language is processed again',
      { ...entry('completed'), settings: { engine: 'tesseract.js', lang: 'eng', dpi: '300', force_ocr: 'false' } },
      { ...none, settings: { engine: 'tesseract.js', lang: 'fra', dpi: '300', force_ocr: 'false' } },
      { action: 'process', reason: 'settings', changes: [{ key: 'lang', from: 'eng', to: 'fra' }] },
    ],
    [
      'completed with the same settings is kept',
      { ...entry('completed'), settings: { engine: 'tesseract.js', lang: 'eng', dpi: '300', force_ocr: 'false' } },
      { ...none, settings: { engine: 'tesseract.js', lang: 'eng', dpi: '300', force_ocr: 'false' } },
      { action: 'keep', status: 'completed' },
    ],
    [
      'settings a result does not record are not a difference',
      { ...entry('completed'), settings: { engine: 'tesseract.js', lang: 'eng', dpi: '300' } },
      { ...none, settings: { engine: 'tesseract.js', lang: 'eng', dpi: '300', force_ocr: 'true' } },
      { action: 'keep', status: 'completed' },
    ],
    ['a result with no recorded settings is kept', entry('completed'), { ...none, settings: { lang: 'fra' } }, { action: 'keep', status: 'completed' }],
    [
      'a failure is not redone for other settings',
      { ...entry('failed', 'PDF_INVALID'), settings: { lang: 'eng' } },
      { ...none, settings: { lang: 'fra' } },
      { action: 'keep', status: 'failed' },
    ],
  ])('%s', (_name, e, policy, expected) => {
    expect(planDocument(e, policy)).toEqual(expected);
  });
});

describe('ExclusiveGate', () => {
  it('runs a lone document only when nothing else runs, and holds the others back meanwhile', async () => {
    const gate = new ExclusiveGate();
    const log: string[] = [];
    const leaveA = await gate.enter(false);
    const leaveB = await gate.enter(false);
    const alone = gate.enter(true).then((leave) => (log.push('alone in'), leave));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    const later = gate.enter(false).then((leave) => (log.push('later in'), leave));
    leaveA();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    leaveB();
    const leaveAlone = await alone;
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['alone in']);
    leaveAlone();
    leaveAlone(); // twice is harmless
    (await later)();
    expect(log).toEqual(['alone in', 'later in']);
  });
});

describe('mergeSources', () => {
  it('appends a new source and ignores a known one', () => {
    expect(mergeSources(['a', 'b'], 'c')).toEqual(['a', 'b', 'c']);
    expect(mergeSources(['a', 'b'], 'a')).toBeNull();
  });
});
