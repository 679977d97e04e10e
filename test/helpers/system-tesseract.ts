import { spawnSync } from 'node:child_process';
import { findTesseract, isRecentEnough, parseLangList, parseTesseractVersion } from '../../src/isolate/ocr/native-binary.js';

/**
 * The system's tesseract, for the tests of `--engine native` that need the real binary: usable when it is installed,
 * 4.1 or later and has English. Those tests are skipped otherwise, with `reason` in their names, so that `npm test`
 * never requires it.
 */
export function systemTesseract(): { usable: boolean; binary?: string; version?: string; reason: string } {
  const binary = findTesseract(process.env);
  if (!binary) return { usable: false, reason: 'tesseract is not installed (apt-get install tesseract-ocr)' };
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const parsed = parseTesseractVersion(`${version.stdout}\n${version.stderr}`);
  if (!parsed || !isRecentEnough(parsed.parts)) return { usable: false, binary, reason: `${binary} is not Tesseract 4.1 or later` };
  const langs = spawnSync(binary, ['--list-langs'], { encoding: 'utf8' });
  if (!parseLangList(langs.stdout).includes('eng')) return { usable: false, binary, reason: `${binary} has no English data (apt-get install tesseract-ocr-eng)` };
  return { usable: true, binary, version: parsed.version, reason: '' };
}
