import { describe, expect, it } from 'vitest';
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
  ])('%s', (_name, e, policy, expected) => {
    expect(planDocument(e, policy)).toEqual(expected);
  });
});

describe('mergeSources', () => {
  it('appends a new source and ignores a known one', () => {
    expect(mergeSources(['a', 'b'], 'c')).toEqual(['a', 'b', 'c']);
    expect(mergeSources(['a', 'b'], 'a')).toBeNull();
  });
});
