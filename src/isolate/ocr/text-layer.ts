/**
 * Fewest letters/digits for a PDF text layer to be trusted. Below it the page is OCRed instead: a stamp or a
 * page number on a scanned page must not hide the scan, and OCRing a nearly empty page costs little.
 */
export const MIN_TEXT_LAYER_ALNUM = 10;
/** Share of non-space characters that may be replacement, control or private-use characters. */
export const MAX_TEXT_LAYER_GARBAGE = 0.1;
/** Share of non-space characters that must be letters or digits (broken font encodings give symbol soup). */
export const MIN_TEXT_LAYER_ALNUM_SHARE = 0.5;

const ALNUM = /[\p{L}\p{N}]/u;
// Fonts without a Unicode mapping surface as U+FFFD, C0/C1 controls or private-use code points.
const GARBAGE = /[\uFFFD\p{Co}\p{Cs}]|[^\P{Cc}\t\n\r\f]/u;

/** Whether text extracted from a PDF page is real text worth using instead of OCR. */
export function isRealTextLayer(text: string): boolean {
  let alnum = 0;
  let garbage = 0;
  let visible = 0;
  for (const ch of text) {
    if (/\s/u.test(ch)) continue;
    visible++;
    if (ALNUM.test(ch)) alnum++;
    else if (GARBAGE.test(ch)) garbage++;
  }
  if (alnum < MIN_TEXT_LAYER_ALNUM) return false;
  return garbage / visible <= MAX_TEXT_LAYER_GARBAGE && alnum / visible >= MIN_TEXT_LAYER_ALNUM_SHARE;
}
