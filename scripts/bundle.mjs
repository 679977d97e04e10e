// Bundles the command line into dist/ocrq.js (what bin/ocrq.js runs), after `tsc` has built dist/: ocrq's own modules
// and the dependencies the main thread loads, in one file and a few chunks that load as they are needed (each
// command, provider and engine stays a lazy import). Loading one file instead of some 150 takes about 50 ms off every
// start. The worker threads and child processes still run their own scripts of dist/ (src/dist-path.ts); the engines'
// packages, which find their data files next to their own code, stay where they are installed.
import { build } from 'esbuild';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
/** Chunks sit in dist/ itself, so that dist-path.ts finds dist/ from whichever file its code is inlined into. */
const CHUNK = /^chunk-[A-Z0-9]+\.js(\.map)?$/;

// Chunks are named by their content: those of an earlier build would pile up.
for (const name of await readdir(dist)) if (CHUNK.test(name)) await rm(path.join(dist, name));
await build({
  absWorkingDir: root,
  entryPoints: { ocrq: 'dist/main.js' },
  outdir: 'dist',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies call require(); give the bundle one.
  banner: { js: "import { createRequire as __ocrqCreateRequire } from 'node:module'; const require = __ocrqCreateRequire(import.meta.url);" },
  external: ['pdfjs-dist', 'pdfjs-dist/*', 'tesseract.js', '@napi-rs/canvas', '@tesseract.js-data/*'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
