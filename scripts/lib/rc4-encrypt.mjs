// PDF Standard security handler, revisions 2 and 3 (RC4), following the PDF 1.7 (ISO 32000-1) section 7.6.3
// algorithms 1-5. Only what an encrypting writer needs: the file key, /O, /U and per-object encryption.
import { createHash } from 'node:crypto';

/** Padding string from algorithm 2, step (a). */
const PASSWORD_PADDING = Buffer.from(
  '28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a',
  'hex',
);

/** RC4 keystream XOR; symmetric, so it both encrypts and decrypts. */
export function rc4(key, data) {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
    out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
  }
  return out;
}

function md5(...parts) {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function padPassword(password) {
  const bytes = Buffer.from(password, 'latin1').subarray(0, 32);
  return Buffer.concat([bytes, PASSWORD_PADDING.subarray(0, 32 - bytes.length)]);
}

/** Revision 3 re-encrypts 19 more times with the key XORed with the round number. */
function rc4Rounds(key, data, revision) {
  let out = rc4(key, data);
  if (revision >= 3) {
    for (let round = 1; round <= 19; round++) {
      out = rc4(key.map((b) => b ^ round), out);
    }
  }
  return out;
}

/** Algorithm 3: the /O entry. */
export function computeOwnerEntry(ownerPassword, userPassword, revision, keyLength) {
  let digest = md5(padPassword(ownerPassword || userPassword));
  if (revision >= 3) {
    for (let i = 0; i < 50; i++) digest = md5(digest);
  }
  return rc4Rounds(digest.subarray(0, keyLength), padPassword(userPassword), revision);
}

/** Algorithm 2: the file encryption key. `permissions` is the signed 32-bit /P value. */
export function computeFileKey(userPassword, ownerEntry, permissions, fileId, revision, keyLength) {
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions);
  let digest = md5(padPassword(userPassword), ownerEntry, p, fileId);
  if (revision >= 3) {
    for (let i = 0; i < 50; i++) digest = md5(digest.subarray(0, keyLength));
  }
  return digest.subarray(0, keyLength);
}

/** Algorithms 4 (revision 2) and 5 (revision 3): the /U entry. */
export function computeUserEntry(fileKey, fileId, revision) {
  if (revision === 2) return rc4(fileKey, PASSWORD_PADDING);
  const hashed = rc4Rounds(fileKey, md5(PASSWORD_PADDING, fileId), revision);
  // The last 16 bytes are arbitrary; zeros keep the output reproducible.
  return Buffer.concat([hashed, Buffer.alloc(16)]);
}

/** Algorithm 1's salt of one object: the low 3 bytes of its number and the low 2 of its generation. */
export function objectSuffix(objectNumber, generation) {
  return Buffer.from([
    objectNumber & 0xff,
    (objectNumber >> 8) & 0xff,
    (objectNumber >> 16) & 0xff,
    generation & 0xff,
    (generation >> 8) & 0xff,
  ]);
}

/** Algorithm 1: the key for one object's strings and streams. */
export function objectKey(fileKey, objectNumber, generation) {
  return md5(fileKey, objectSuffix(objectNumber, generation)).subarray(0, Math.min(fileKey.length + 5, 16));
}

/**
 * Everything a writer needs to produce a Standard-handler RC4 file.
 * Revision 2 means 40-bit keys (V 1); revision 3 means 128-bit keys (V 2).
 */
export function createStandardSecurity({ userPassword, ownerPassword, permissions, fileId, revision = 3 }) {
  if (revision !== 2 && revision !== 3) throw new Error(`unsupported revision ${revision}`);
  const keyLength = revision === 2 ? 5 : 16;
  const ownerEntry = computeOwnerEntry(ownerPassword, userPassword, revision, keyLength);
  const fileKey = computeFileKey(userPassword, ownerEntry, permissions, fileId, revision, keyLength);
  const userEntry = computeUserEntry(fileKey, fileId, revision);
  return {
    fileKey,
    ownerEntry,
    userEntry,
    /** The /Encrypt dictionary fields, as plain values for the writer to serialise. */
    dictionary: {
      Filter: 'Standard',
      V: revision === 2 ? 1 : 2,
      R: revision,
      Length: keyLength * 8,
      O: ownerEntry,
      U: userEntry,
      P: permissions,
    },
    encrypt: (objectNumber, generation, data) => rc4(objectKey(fileKey, objectNumber, generation), data),
  };
}
