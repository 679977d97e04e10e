// The cookbook pattern without a rate limiter, run as its own process: a fixed pool of request loops, each taking
// the next document and POSTing it to `/v1/extract` (undici), no retries (the vendor SDKs retry nothing).
// Input: one JSON argument {url, apiKey, dir, loops}. Output: one JSON line {sent, byStatus, errors, wallMs}.
import { readdir, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { FormData, Pool } from 'undici';

const { url, apiKey, dir, loops } = JSON.parse(process.argv[2]);

async function listFiles(root) {
  const out = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  return out.sort();
}

const files = await listFiles(dir);
const pool = new Pool(url, { connections: loops, pipelining: 1 });
const byStatus = {};
let errors = 0;
let next = 0;
const started = performance.now();

async function loop() {
  for (let i = next++; i < files.length; i = next++) {
    const form = new FormData();
    form.append('file', new Blob([await readFile(files[i])], { type: 'image/png' }), path.basename(files[i]));
    try {
      const res = await pool.request({ path: '/v1/extract', method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
      await res.body.dump();
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    } catch {
      errors += 1;
    }
  }
}

await Promise.all(Array.from({ length: loops }, loop));
await pool.close();
process.stdout.write(`${JSON.stringify({ sent: files.length, byStatus, errors, wallMs: Math.round(performance.now() - started) })}\n`);
