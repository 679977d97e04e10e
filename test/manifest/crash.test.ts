import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/manifest/jsonl.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { REPO_ROOT, makeTempDir } from '../helpers/tmp.js';

/** The journal's modules as plain ESM in `dir`, so a child `node` can run them. */
async function transpileJournal(dir: string): Promise<string> {
  const sources = [
    'src/errors.ts',
    'src/documents/hash.ts',
    ...(await fs.readdir(path.join(REPO_ROOT, 'src/manifest')))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `src/manifest/${f}`),
  ];
  for (const source of sources) {
    const text = await fs.readFile(path.join(REPO_ROOT, source), 'utf8');
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = path.join(dir, source.replace(/\.ts$/, '.js'));
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, outputText);
  }
  await fs.writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
  const child = path.join(dir, 'append-forever.js');
  await fs.writeFile(
    child,
    `import { Journal } from './src/manifest/jsonl.js';
const [manifest, round] = process.argv.slice(2);
const { journal, lines } = await Journal.open(manifest, { fsyncIntervalMs: 10, onWarning: (m) => process.stderr.write(m + '\\n') });
const bulk = 'y'.repeat(256 * 1024);
for (let i = 0; ; i += 1) {
  await journal.append({ job_id: 'r' + round + '-' + i, status: 'completed', source: 'f' + i + '.pdf', sha256: null,
    target: 'local', ts: new Date().toISOString(), text: i + ':' + bulk });
  if (i === 20) process.stdout.write('ready ' + lines + '\\n');
}
`,
  );
  return child;
}

async function runAndKill(script: string, manifest: string, round: number): Promise<string> {
  const child = spawn(process.execPath, [script, manifest, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
    child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  return stderr;
}

describe('Journal across processes', () => {
  it('reopens a manifest whose writer was killed mid-append: every line intact, the stale lock taken over', async () => {
    const dir = await makeTempDir();
    const manifest = path.join(dir, 'm.jsonl');
    const script = await transpileJournal(dir);
    for (let round = 0; round < 3; round += 1) {
      const childWarnings = await runAndKill(script, manifest, round);
      if (round > 0) expect(childWarnings).toContain('took over a stale lock');
    }
    const warnings: string[] = [];
    const { journal, index, lines } = await Journal.open(manifest, { onWarning: (m) => warnings.push(m) });
    expect(warnings[0]).toMatch(/took over a stale lock from pid \d+/);
    expect(warnings.slice(1).every((w) => w.includes('torn last line'))).toBe(true);
    await journal.append({ job_id: 'after', status: 'completed', source: 'x', sha256: null, target: 'local', ts: 'now' });
    await journal.close();

    const text = await fs.readFile(manifest, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const rows = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ManifestRow);
    expect(rows).toHaveLength(lines + 1);
    expect(index.size).toBe(lines + 1);
    for (const row of rows.slice(0, -1)) {
      const n = row.job_id.split('-')[1];
      expect(row.text?.startsWith(`${n}:`)).toBe(true);
      expect(row.text).toHaveLength(`${n}:`.length + 256 * 1024);
    }
    for (let round = 0; round < 3; round += 1) expect(rows.some((r) => r.job_id.startsWith(`r${round}-`))).toBe(true);
    await expect(fs.access(`${manifest}.lock`)).rejects.toThrow();
  });

  it('removes the lock when the process exits without closing the journal', async () => {
    const dir = await makeTempDir();
    const manifest = path.join(dir, 'm.jsonl');
    await transpileJournal(dir);
    const script = path.join(dir, 'exit-early.js');
    await fs.writeFile(
      script,
      `import { Journal } from './src/manifest/jsonl.js';
const { journal } = await Journal.open(process.argv[2]);
await journal.append({ job_id: 'a', status: 'completed', source: 'a.pdf', sha256: null, target: 'local', ts: 't' });
process.exit(3);
`,
    );
    const child = spawn(process.execPath, [script, manifest], { stdio: 'inherit' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(3);
    await expect(fs.access(`${manifest}.lock`)).rejects.toThrow();
    expect(JSON.parse(await fs.readFile(manifest, 'utf8')).job_id).toBe('a');
  });
});
