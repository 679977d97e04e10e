import type { PageResult } from '../../manifest/types.js';

/** Mean word confidence (0-100) below which an OCRed page is marked `low_confidence` (the settings table owns it). */
export { DEFAULT_MIN_CONFIDENCE } from '../../config/settings.js';

/**
 * Whether an OCRed page is low confidence: it has text, and its mean word confidence is below `threshold`. A page
 * with no text (a blank one) is not: there is nothing to doubt.
 */
export function isLowConfidence(page: Pick<PageResult, 'source' | 'confidence' | 'text'>, threshold: number): boolean {
  return page.source === 'ocr' && page.confidence !== null && page.confidence < threshold && page.text.trim() !== '';
}
