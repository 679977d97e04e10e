/** General purpose bit 11: the entry name (and comment) are UTF-8. */
const FLAG_UTF8 = 0x800;

/** IBM code page 437, upper half. The lower half is ASCII, control characters included, as in the standard codec. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return out;
}

export interface DecodedName {
  name: string;
  /** Set when the bytes cannot be decoded faithfully; `name` is then a lossy rendering for display. */
  problem?: string;
}

/** Decodes a raw entry name: UTF-8 when the entry says so, otherwise CP437 (what DOS-era and Windows tools write). */
export function decodeEntryName(raw: Buffer, generalPurposeBitFlag: number): DecodedName {
  if ((generalPurposeBitFlag & FLAG_UTF8) === 0) return { name: decodeCp437(raw) };
  try {
    return { name: strictUtf8.decode(raw) };
  } catch {
    return { name: raw.toString('utf8'), problem: 'invalid UTF-8' };
  }
}

/**
 * Why an entry name is unsafe to carry into a source path, or null. Nothing is ever written to disk, but names end
 * up in manifests, exports and logs that other tools may turn back into paths, so traversal is refused here.
 * Backslashes count as separators because Windows tools write them and Windows tools will read them.
 */
export function findNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL byte';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  if (name.startsWith('/') || name.startsWith('\\')) return 'absolute path';
  if (name.split(/[/\\]/).includes('..')) return 'parent directory segment';
  return null;
}
