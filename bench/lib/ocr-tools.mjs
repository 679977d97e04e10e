// Native tools for the OCR benchmarks: finding (and, as root with apt, installing) Debian's tesseract-ocr and
// ocrmypdf, the tessdata directory shared with ocrq, child processes with wall-clock timing, and PDF pages
// rendered to PNG the way ocrq renders them (300 dpi, grayscale).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);

/** Absolute path of `bin` on PATH, or null. */
export function which(bin) {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Makes `bin` available, installing Debian package `pkg` with apt-get when it is missing. Never throws:
 * `{ path, installed, note }`, with `path: null` and a `note` saying why when the tool cannot be had.
 */
export async function ensureDebianTool(bin, pkg, log) {
  const found = which(bin);
  if (found) return { path: found, installed: false, note: null };
  if (!which('apt-get')) return { path: null, installed: false, note: `${bin} is missing and apt-get is unavailable` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { path: null, installed: false, note: `${bin} is missing; install it with: sudo apt-get install -y ${pkg}` };
  }
  log(`${bin} not found: installing Debian package ${pkg} (apt-get)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = await runProcess('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  if (result.code !== 0) {
    // A fresh machine has no package lists yet.
    await runProcess('apt-get', ['update'], { env });
    result = await runProcess('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  }
  const installed = which(bin);
  if (!installed) {
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return { path: null, installed: false, note: `apt-get install ${pkg} failed (exit ${result.code}): ${tail}` };
  }
  return { path: installed, installed: true, note: null };
}

/** First line of `bin --version` (tesseract prints it on stdout, some builds on stderr). */
export async function toolVersion(bin) {
  const r = await runProcess(bin, ['--version']);
  return `${r.stdout}\n${r.stderr}`.trim().split('\n')[0] ?? null;
}

/**
 * The traineddata ocrq uses by default (tesseract.js-data eng 4.0.0_best_int), gunzipped into `dir` so the
 * native tesseract loads the very same model with `--tessdata-dir dir`.
 */
export function prepareTessdata(dir) {
  const pkg = require.resolve('@tesseract.js-data/eng/package.json');
  const source = path.join(path.dirname(pkg), '4.0.0_best_int', 'eng.traineddata.gz');
  const target = path.join(dir, 'eng.traineddata');
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(target, gunzipSync(readFileSync(source)));
  }
  return { dir, source };
}

/** Runs a command to completion; never rejects. `{ code, stdout, stderr, ms }`. */
export function runProcess(command, args, { env, cwd, stdin } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    let child;
    try {
      child = spawn(command, args, { env: env ?? process.env, cwd, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: -1, stdout: '', stderr: String(err), ms: 0 });
      return;
    }
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    if (stdin !== undefined) child.stdin.end(stdin);
    child.once('error', (e) => err.push(Buffer.from(String(e))));
    child.once('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? `signal:${signal}` : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
      });
    });
  });
}

/** Runs `jobs` (functions returning promises) with at most `concurrency` at a time; results in order. */
export async function runLimited(jobs, concurrency) {
  const results = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  return results;
}

/**
 * Renders every page of `pdfFile` to `<prefix>-<n>.png` (grayscale, `dpi`): with pdftoppm when it is installed,
 * else with pdfjs-dist and its bundled canvas (what ocrq itself renders with). Returns the PNG paths in page order.
 */
export async function renderPdfToPngs(pdfFile, prefix, dpi) {
  mkdirSync(path.dirname(prefix), { recursive: true });
  if (which('pdftoppm')) {
    const r = await runProcess('pdftoppm', ['-r', String(dpi), '-gray', '-png', pdfFile, prefix]);
    if (r.code !== 0) throw new Error(`pdftoppm failed on ${pdfFile}: ${r.stderr.trim()}`);
    const dir = path.dirname(prefix);
    const base = path.basename(prefix);
    const pages = readdirSync(dir)
      .filter((f) => f.startsWith(`${base}-`) && f.endsWith('.png'))
      .map((f) => ({ f, n: Number(f.slice(base.length + 1, -4)) }))
      .sort((a, b) => a.n - b.n);
    return { renderer: 'pdftoppm', files: pages.map((p) => path.join(dir, p.f)) };
  }
  return { renderer: 'pdfjs-dist', files: await renderWithPdfjs(pdfFile, prefix, dpi) };
}

async function renderWithPdfjs(pdfFile, prefix, dpi) {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pkgDir = path.dirname(require.resolve('pdfjs-dist/package.json'));
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(readFileSync(pdfFile)),
    standardFontDataUrl: `${path.join(pkgDir, 'standard_fonts')}/`,
    isEvalSupported: false,
    verbosity: 0,
  }).promise;
  const files = [];
  try {
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: dpi / 72 });
      const entry = doc.canvasFactory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
      await page.render({ canvas: entry.canvas, canvasContext: entry.context, viewport, background: 'white' }).promise;
      const file = `${prefix}-${n}.png`;
      writeFileSync(file, entry.canvas.toBuffer('image/png'));
      doc.canvasFactory.destroy(entry);
      page.cleanup();
      files.push(file);
    }
  } finally {
    await doc.destroy();
  }
  return files;
}

/**
 * Tesseract's output configs (`pdf`, `txt`, `hocr`...) from the system tessdata, linked into `dir`: OCRmyPDF asks
 * tesseract for them by name, and they are looked up beside the traineddata.
 */
export function linkSystemConfigs(dir) {
  const roots = ['/usr/share/tesseract-ocr/5/tessdata', '/usr/share/tesseract-ocr/4.00/tessdata', '/usr/share/tessdata'];
  const target = path.join(dir, 'configs');
  if (existsSync(target)) return target;
  const source = roots.map((r) => path.join(r, 'configs')).find((c) => existsSync(c));
  if (!source) return null;
  symlinkSync(source, target, 'dir');
  return target;
}
