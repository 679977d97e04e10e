// Deterministic corpora under bench/.corpus/. Each corpus is built once and reused: a marker file written last
// records what was built and how long it took, so an interrupted build is redone rather than half-used.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { repoRoot } from './proc.mjs';

export const CORPUS_ROOT = path.join(repoRoot, 'bench/.corpus');
/** Writes in flight while building a corpus: enough to keep the disk busy, few enough for the fd limit. */
const WRITE_CONCURRENCY = 64;

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Ensures `CORPUS_ROOT/<name>` holds `dirs` folders (d0000...) of `perDir` files each, file i (0-based, global)
 * named by `fileName(i)` with content `content(i)`. Returns {dir, files, reused, generationMs}.
 */
export async function ensureCorpus(name, { dirs, perDir, fileName, content, version = 1, log = () => {} }) {
  const dir = path.join(CORPUS_ROOT, name);
  // The marker sits beside the corpus, not in it, so that it is not walked as one more file.
  const markerFile = `${dir}.complete.json`;
  const spec = { name, dirs, perDir, version };
  if (existsSync(markerFile)) {
    const marker = JSON.parse(await readFile(markerFile, 'utf8'));
    if (JSON.stringify(marker.spec) === JSON.stringify(spec)) {
      return { dir, files: dirs * perDir, reused: true, generationMs: marker.generationMs, generatedAt: marker.date };
    }
  }
  log(`generating corpus ${name}: ${dirs} folders x ${perDir} files (once; reused afterwards)`);
  const started = performance.now();
  await rm(markerFile, { force: true });
  await rm(dir, { recursive: true, force: true });
  const total = dirs * perDir;
  let next = 0;
  let lastReport = started;
  for (let d = 0; d < dirs; d += 1) await mkdir(path.join(dir, dirName(d)), { recursive: true });
  async function writer() {
    for (let i = next++; i < total; i = next++) {
      await writeFile(path.join(dir, filePath(i, perDir, fileName)), content(i));
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`  ${name}: ${i} of ${total} files`);
      }
    }
  }
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, writer));
  const generationMs = Math.round(performance.now() - started);
  await writeFile(markerFile, `${JSON.stringify({ spec, generationMs, date: new Date().toISOString() })}\n`);
  log(`  ${name}: ${total} files in ${(generationMs / 1000).toFixed(1)} s`);
  return { dir, files: total, reused: false, generationMs, generatedAt: new Date().toISOString() };
}

export const dirName = (n) => `d${String(n).padStart(4, '0')}`;

/** Path of file i of a corpus, relative to the corpus folder. */
export const filePath = (i, perDir, fileName) => path.join(dirName(Math.floor(i / perDir)), fileName(i));

/** Deterministic filler: the same bytes for the same (seed, length) on every machine. */
export function fillerText(seed, length) {
  const words = ['invoice', 'total', 'amount', 'due', 'date', 'customer', 'item', 'tax', 'net', 'page'];
  let out = '';
  let x = (seed * 2654435761) >>> 0;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${words[x % words.length]} ${x % 1000} `;
  }
  return out.slice(0, length);
}

/** A PNG signature and IHDR-like header followed by distinct filler, `length` bytes in all. */
export function pngHeaderFile(seed, length) {
  const header = Buffer.alloc(33);
  PNG_SIGNATURE.copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(100 + (seed % 900), 16);
  header.writeUInt32BE(100 + ((seed * 7) % 900), 20);
  header[24] = 8;
  header[25] = 2;
  return Buffer.concat([header, Buffer.from(fillerText(seed, Math.max(0, length - header.length)), 'latin1')]);
}
