// A tiny ZIP writer for fixtures and tests. Unlike a real archiver it can lie: every header field that a reader has
// to distrust (names, CRC, sizes, flags, attributes, method, entry count) can be overridden. Timestamps are fixed so
// the output is byte-for-byte deterministic.
import zlib from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIR = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIR = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;

const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const VERSION = 20;
const VERSION_ZIP64 = 45;
const HOST_UNIX = 3;

/** 2024-01-01 00:00:00 in MS-DOS format. */
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

const MIB = 1024 * 1024;

function toBuffer(value) {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/** Raw deflate stream of `size` zero bytes, built from repeated self-contained blocks so gigabytes cost milliseconds. */
export function deflatedZeros(size) {
  const whole = Math.floor(size / MIB);
  const parts = [];
  if (whole > 0) {
    // A full flush ends byte-aligned with the dictionary reset, so the block can simply be repeated.
    const block = zlib.deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
    for (let i = 0; i < whole; i++) parts.push(block);
  }
  parts.push(zlib.deflateRawSync(Buffer.alloc(size - whole * MIB), { level: 9 }));
  return Buffer.concat(parts);
}

/** CRC-32 of `size` zero bytes, without allocating them all at once. */
export function crc32OfZeros(size) {
  const block = Buffer.alloc(Math.min(size, MIB));
  let crc = 0;
  for (let left = size; left > 0; left -= block.length) crc = zlib.crc32(left >= block.length ? block : block.subarray(0, left), crc);
  return crc;
}

function prepareEntry(spec) {
  const nameBytes = toBuffer(spec.name);
  const utf8 = spec.utf8 ?? (typeof spec.name === 'string' && /[^\x20-\x7e]/.test(spec.name));
  let body;
  let method;
  let data;
  if (spec.compressed !== undefined) {
    if (spec.uncompressedSize === undefined || spec.crc32 === undefined) {
      throw new Error(`entry ${nameBytes.toString('latin1')}: "compressed" needs "uncompressedSize" and "crc32"`);
    }
    body = Buffer.from(spec.compressed);
    method = 8;
  } else {
    data = toBuffer(spec.data);
    method = spec.method === 'store' ? 0 : 8;
    body = method === 8 ? zlib.deflateRawSync(data, { level: 9 }) : data;
  }
  let flags = spec.flags ?? 0;
  if (utf8) flags |= FLAG_UTF8;
  if (spec.encrypted) flags |= FLAG_ENCRYPTED;
  const externalAttributes = spec.externalAttributes ?? (spec.unixMode !== undefined ? (spec.unixMode << 16) >>> 0 : 0);
  return {
    nameBytes,
    body,
    flags,
    method: spec.compressionMethod ?? method,
    crc32: (spec.crc32 ?? zlib.crc32(data)) >>> 0,
    compressedSize: spec.compressedSize ?? body.length,
    uncompressedSize: spec.uncompressedSize ?? data.length,
    externalAttributes,
    versionMadeBy: spec.unixMode !== undefined || spec.externalAttributes !== undefined ? (HOST_UNIX << 8) | VERSION : VERSION,
    centralSignature: spec.centralSignature ?? CENTRAL_HEADER,
    sameDataAs: spec.sameDataAs,
  };
}

function localHeader(e) {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(LOCAL_HEADER, 0);
  h.writeUInt16LE(VERSION, 4);
  h.writeUInt16LE(e.flags, 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(DOS_TIME, 10);
  h.writeUInt16LE(DOS_DATE, 12);
  h.writeUInt32LE(e.crc32, 14);
  h.writeUInt32LE(e.compressedSize, 18);
  h.writeUInt32LE(e.uncompressedSize, 22);
  h.writeUInt16LE(e.nameBytes.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, e.nameBytes]);
}

function centralHeader(e, localOffset) {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(e.centralSignature, 0);
  h.writeUInt16LE(e.versionMadeBy, 4);
  h.writeUInt16LE(VERSION, 6);
  h.writeUInt16LE(e.flags, 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(DOS_TIME, 12);
  h.writeUInt16LE(DOS_DATE, 14);
  h.writeUInt32LE(e.crc32, 16);
  h.writeUInt32LE(e.compressedSize, 20);
  h.writeUInt32LE(e.uncompressedSize, 24);
  h.writeUInt16LE(e.nameBytes.length, 28);
  // extra field length, comment length, disk number start, internal attributes: all 0
  h.writeUInt32LE(e.externalAttributes, 38);
  h.writeUInt32LE(localOffset, 42);
  return Buffer.concat([h, e.nameBytes]);
}

function endRecords(entryCount, cdOffset, cdSize, comment) {
  const parts = [];
  const zip64 = entryCount > 0xffff;
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(ZIP64_END_OF_CENTRAL_DIR, 0);
    record.writeBigUInt64LE(44n, 4); // size of the rest of this record
    record.writeUInt16LE((HOST_UNIX << 8) | VERSION_ZIP64, 12);
    record.writeUInt16LE(VERSION_ZIP64, 14);
    record.writeBigUInt64LE(BigInt(entryCount), 24);
    record.writeBigUInt64LE(BigInt(entryCount), 32);
    record.writeBigUInt64LE(BigInt(cdSize), 40);
    record.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(ZIP64_LOCATOR, 0);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(END_OF_CENTRAL_DIR, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : entryCount, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : entryCount, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cdOffset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  parts.push(eocd, comment);
  return parts;
}

/**
 * Builds a ZIP archive in memory. See zip-writer.d.mts for the entry fields; `options.entryCount` overrides the
 * count in the end-of-central-directory record (a ZIP64 record is written when it does not fit 16 bits).
 */
export function buildZip(specs, options = {}) {
  const entries = specs.map(prepareEntry);
  const parts = [];
  const localOffsets = [];
  let offset = 0;
  for (const e of entries) {
    if (e.sameDataAs !== undefined) {
      if (localOffsets[e.sameDataAs] === undefined) throw new Error(`sameDataAs ${e.sameDataAs} must name an earlier entry`);
      localOffsets.push(localOffsets[e.sameDataAs]);
      continue;
    }
    localOffsets.push(offset);
    const header = localHeader(e);
    parts.push(header, e.body);
    offset += header.length + e.body.length;
  }
  const cdOffset = offset;
  const central = entries.map((e, i) => centralHeader(e, localOffsets[i]));
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  parts.push(...central, ...endRecords(options.entryCount ?? entries.length, cdOffset, cdSize, toBuffer(options.comment)));
  return Buffer.concat(parts);
}
