// PDF Standard security handler, revision 4 (V 4): crypt filters, with AES-128 (AESV2) as the one real filter.
// The file key, /O and /U are computed as in revision 3 (see rc4-encrypt.mjs); what revision 4 adds is that
// strings, streams and embedded files each name their own crypt filter, any of which may be Identity (no
// encryption). Only what an encrypting writer needs.
import { createCipheriv, createHash } from 'node:crypto';
import { computeFileKey, computeOwnerEntry, computeUserEntry, objectSuffix } from './rc4-encrypt.mjs';

/** The name of the one defined crypt filter. */
const FILTER = 'StdCF';
const KEY_LENGTH = 16;

function md5(...parts) {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Algorithm 1 for AESV2: the object's key is salted with "sAlT". */
export function aesObjectKey(fileKey, objectNumber, generation) {
  return md5(fileKey, objectSuffix(objectNumber, generation), Buffer.from('sAlT', 'latin1')).subarray(0, KEY_LENGTH);
}

/**
 * AES-128-CBC with PKCS#5 padding, the 16-byte IV stored first. The IV is derived from the object and the data
 * (not random) so that every run writes the same bytes.
 */
export function aesEncrypt(fileKey, objectNumber, generation, data) {
  const iv = md5(Buffer.from(`iv ${objectNumber} ${generation}`, 'latin1'), data);
  const cipher = createCipheriv('aes-128-cbc', aesObjectKey(fileKey, objectNumber, generation), iv);
  return Buffer.concat([iv, cipher.update(data), cipher.final()]);
}

/**
 * A revision 4 security handler. `strings`, `streams` and `embeddedFiles` are each 'AESV2' (encrypted with the
 * StdCF filter) or 'Identity' (stored as they are); `embeddedFiles` defaults to `streams`, as in a reader.
 * `authEvent` is StdCF's /AuthEvent: 'DocOpen' (default) or 'EFOpen' (ask for the password only when an
 * attachment is opened). The result plugs into PdfWriter.toBuffer's `security`.
 */
export function createCryptFilterSecurity({
  userPassword,
  ownerPassword,
  permissions,
  fileId,
  strings = 'AESV2',
  streams = 'AESV2',
  embeddedFiles = streams,
  authEvent = 'DocOpen',
}) {
  for (const method of [strings, streams, embeddedFiles]) {
    if (method !== 'AESV2' && method !== 'Identity') throw new Error(`unsupported crypt filter method ${method}`);
  }
  const revision = 4;
  const ownerEntry = computeOwnerEntry(ownerPassword, userPassword, revision, KEY_LENGTH);
  const fileKey = computeFileKey(userPassword, ownerEntry, permissions, fileId, revision, KEY_LENGTH);
  const userEntry = computeUserEntry(fileKey, fileId, revision);
  const filterName = (method) => (method === 'AESV2' ? FILTER : 'Identity');
  const encryptWith = (method) => (objectNumber, generation, data) =>
    method === 'AESV2' ? aesEncrypt(fileKey, objectNumber, generation, data) : Buffer.from(data);
  const encryptString = encryptWith(strings);
  const encryptPlainStream = encryptWith(streams);
  const encryptEmbeddedFile = encryptWith(embeddedFiles);
  const dictionary = {
    Filter: 'Standard',
    V: 4,
    R: revision,
    Length: KEY_LENGTH * 8,
    CF: { [FILTER]: { Type: 'CryptFilter', CFM: 'AESV2', AuthEvent: authEvent, Length: KEY_LENGTH } },
    StmF: filterName(streams),
    StrF: filterName(strings),
    O: ownerEntry,
    U: userEntry,
    P: permissions,
  };
  if (embeddedFiles !== streams) dictionary.EFF = filterName(embeddedFiles);
  return {
    fileKey,
    ownerEntry,
    userEntry,
    /** The /Encrypt dictionary fields, as plain values for the writer to serialise. */
    dictionary,
    encryptString,
    /** Streams of /Type /EmbeddedFile take the embedded-file filter, every other stream the stream filter. */
    encryptStream: (objectNumber, generation, data, streamDictionary) =>
      (streamDictionary.Type === 'EmbeddedFile' ? encryptEmbeddedFile : encryptPlainStream)(objectNumber, generation, data),
  };
}
