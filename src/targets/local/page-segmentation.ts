import type { PageSegmentation } from '../../config/parsers.js';

/**
 * The page segmentation a run uses unless told otherwise (`--psm`, `OCRQ_PSM`, `defaults.psm`): layout analysis,
 * which on the quality benchmark (`npm run bench -- quality`) reads columns in order, keeps a form's boxed values,
 * reads noisy scans better and makes no text of pages without any, at about the same speed (README "Quality").
 */
export const DEFAULT_PSM: PageSegmentation = 'auto';

/**
 * Tesseract's page segmentation mode for `mode`, as the per-page parameter the document workers pass on:
 * `auto` is its automatic layout analysis (PSM 3: columns, blocks and their reading order), `block` reads the page as
 * one uniform block of text (PSM 6, tesseract.js's own default).
 */
export function pageSegmentationParameters(mode: PageSegmentation): Record<string, string> {
  return { tessedit_pageseg_mode: mode === 'auto' ? '3' : '6' };
}
