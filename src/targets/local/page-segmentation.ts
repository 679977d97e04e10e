import type { PageSegmentation } from '../../config/parsers.js';

/** The page segmentation a run uses unless told otherwise (`--psm`, `OCRQ_PSM`, `defaults.psm`; the settings table owns it). */
export { DEFAULT_PSM } from '../../config/settings.js';

/**
 * Tesseract's page segmentation mode for `mode`, as the per-page parameter the document workers pass on:
 * `auto` is its automatic layout analysis (PSM 3: columns, blocks and their reading order), `block` reads the page as
 * one uniform block of text (PSM 6, tesseract.js's own default).
 */
export function pageSegmentationParameters(mode: PageSegmentation): Record<string, string> {
  return { tessedit_pageseg_mode: mode === 'auto' ? '3' : '6' };
}
