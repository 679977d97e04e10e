// Generates the ZIP fixtures: fixtures/archive.zip (well-formed, with a nested archive) and fixtures/hostile/*.zip
// (one hostile construction each). Run scripts/make-fixtures.mjs first: the archives pack documents it writes.
//
// How to run:   node scripts/make-zip-fixtures.mjs [root]
// root defaults to the repository root; inputs are read from and outputs written under it (fixtures/,
// scripts/zip-content/), so a fresh copy can be generated into another directory. Output is deterministic.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildZip, crc32OfZeros, deflatedZeros } from './lib/zip-writer.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? repoRoot);
const MIB = 1024 * 1024;

const INPUTS = {
  invoice: 'fixtures/images/invoice.png',
  bornDigital: 'fixtures/pdfs/born-digital.pdf',
  onlyInZip: 'scripts/zip-content/only-in-zip.png',
  nestedOnly: 'scripts/zip-content/nested-only.jpg',
};

function readInputs() {
  const missing = Object.values(INPUTS).filter((rel) => !fs.existsSync(path.join(root, rel)));
  if (missing.length > 0) {
    console.error(`make-zip-fixtures: missing input ${missing.join(', ')} under ${root}`);
    console.error('Generate the document fixtures first: node scripts/make-fixtures.mjs');
    process.exit(1);
  }
  return Object.fromEntries(Object.entries(INPUTS).map(([key, rel]) => [key, fs.readFileSync(path.join(root, rel))]));
}

/** Deterministic bytes that look random (stand-in for encrypted data). */
function pseudoRandom(size, seed) {
  const parts = [];
  for (let i = 0; parts.length * 32 < size; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, size);
}

const NOT_READ = '%PDF-1.4\n% this entry must never be read\n%%EOF\n';
const ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The server returned an invalid response. Please try again later.</p></body></html>
`;

function buildFixtures(input) {
  const files = {};

  files['archive.zip'] = buildZip([
    { name: 'images/', method: 'store' },
    { name: 'images/invoice.png', data: input.invoice, method: 'store' },
    { name: 'born-digital.pdf', data: input.bornDigital },
    { name: 'only-in-zip.png', data: input.onlyInZip, method: 'store' },
    { name: 'nested.zip', data: buildZip([{ name: 'nested-only.jpg', data: input.nestedOnly, method: 'store' }]), method: 'store' },
  ]);

  files['hostile/traversal.zip'] = buildZip([
    { name: '../../evil.pdf', data: NOT_READ },
    { name: '/etc/passwd', data: NOT_READ },
    { name: 'C:\\x.pdf', data: NOT_READ },
    { name: '..\\..\\x.pdf', data: NOT_READ },
    { name: 'invoice.png', data: input.invoice, method: 'store' },
  ]);

  files['hostile/symlink.zip'] = buildZip([
    { name: 'link.pdf', data: '/etc/shadow', method: 'store', unixMode: 0o120777 },
    { name: 'ok.txt', data: 'A regular file next to a symbolic link.\n', unixMode: 0o100644 },
  ]);

  const bombSize = 40 * MIB;
  files['hostile/ratio-bomb.zip'] = buildZip([
    { name: 'bomb.pdf', compressed: deflatedZeros(bombSize), uncompressedSize: bombSize, crc32: crc32OfZeros(bombSize) },
  ]);

  files['hostile/lying-size.zip'] = buildZip([
    { name: 'lie.pdf', compressed: deflatedZeros(5 * MIB), uncompressedSize: 1000, crc32: crc32OfZeros(1000) },
    { name: 'invoice.png', data: input.invoice, method: 'store' },
  ]);

  files['hostile/encrypted.zip'] = buildZip([
    // Traditional encryption: a 12-byte header, then the encrypted deflate stream. Nothing may try to decrypt it.
    { name: 'secret.pdf', compressed: pseudoRandom(12 + 600, 'secret.pdf'), uncompressedSize: 1344, crc32: 0x5ec7e7, encrypted: true },
    { name: 'readme.txt', data: 'The other entry is encrypted.\n' },
  ]);

  const level3 = buildZip([{ name: 'deep.pdf', data: input.bornDigital }]);
  const level2 = buildZip([
    { name: 'born-digital.pdf', data: input.bornDigital },
    { name: 'level3.zip', data: level3, method: 'store' },
  ]);
  files['hostile/too-deep.zip'] = buildZip([{ name: 'level2.zip', data: level2, method: 'store' }]);

  const whole = buildZip([
    { name: 'born-digital.pdf', data: input.bornDigital },
    { name: 'invoice.png', data: input.invoice, method: 'store' },
  ]);
  files['hostile/truncated.zip'] = whole.subarray(0, Math.floor(whole.length / 2));

  files['hostile/bad-crc.zip'] = buildZip([
    { name: 'bad-crc.pdf', data: input.bornDigital, crc32: 0xdeadbeef },
    { name: 'invoice.png', data: input.invoice, method: 'store' },
  ]);

  files['hostile/many-entries.zip'] = buildZip([{ name: 'a.txt', data: 'one real entry\n' }], { entryCount: 1_000_000 });

  files['hostile/not-a-zip.zip'] = Buffer.from(ERROR_PAGE);

  return files;
}

const files = buildFixtures(readInputs());
for (const [rel, data] of Object.entries(files)) {
  const file = path.join(root, 'fixtures', rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  console.log(`${path.relative(root, file)}  ${data.length} bytes`);
}
