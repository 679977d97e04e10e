/**
 * The package as users and the Dockerfile install it: `npm pack` (of the built dist/), installed into an empty
 * folder, runs `ocrq --version` and a submit of one fixture. The tarball carries bin/, dist/ and the README, and
 * installing it brings production dependencies only. The Dockerfile's run stage (the packed files with the
 * lockfile, `npm ci --omit=dev`) is followed too, offline, since no image can be built here.
 *
 * npm installs a tarball's dependencies by name, so it needs their registry metadata, which `npm ci` (it installs
 * from the lockfile's URLs) does not leave in the cache: `--offline` fails with ENOTCACHED, hence
 * `--prefer-offline`, which takes the tarballs from the cache and asks the registry only for the metadata. About
 * 10 s on the 2-core development machine (well under a minute), so these run in the normal suite.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FIXTURES, makeTempDir, REPO_ROOT } from '../helpers/tmp.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function pack(dir: string): Promise<{ tarball: string; files: string[] }> {
  // --ignore-scripts: the prepare script would rebuild dist/ under other tests' feet; the suite has built it.
  const { stdout } = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: path.join(dir, packed.filename), files: packed.files.map((f) => f.path) };
}

async function expectSubmitWorks(ocrq: string, cwd: string): Promise<void> {
  expect((await run(process.execPath, [ocrq, '--version'], { cwd })).stdout.trim()).toBe('0.1.0');
  await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(cwd, 'born-digital.pdf'));
  const submit = await run(process.execPath, [ocrq, 'submit', 'born-digital.pdf', '--out', 'm.jsonl', '--workers', '1', '--json'], { cwd });
  expect(JSON.parse(submit.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'summary', completed: 1, exit_code: 0 });
  const rows = (await fs.readFile(path.join(cwd, 'm.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(rows.find((r) => r.status === 'completed')?.text).toEqual(expect.stringContaining('Quarterly Report 2024, page one.'));
}

const devDependencies = async () => Object.keys((JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);

describe('npm pack, then install into an empty folder', () => {
  it('runs ocrq --version and a submit of one fixture, with production dependencies only', { timeout: 180_000 }, async () => {
    const dir = await makeTempDir('ocrq-pack-');
    const { tarball, files } = await pack(dir);
    expect(files).toEqual(expect.arrayContaining(['bin/ocrq.js', 'dist/ocrq.js', 'dist/main.js', 'dist/commands/merge/index.js', 'dist/shard/index.js', 'README.md', 'package.json']));
    expect(files.filter((f) => !/^(bin|dist)\/|^(README\.md|package\.json|LICENSE)$/.test(f))).toEqual([]);

    const app = path.join(dir, 'app');
    await fs.mkdir(app);
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app });
    const dev = await devDependencies();
    expect((await fs.readdir(path.join(app, 'node_modules'))).filter((name) => dev.includes(name))).toEqual([]);
    await expectSubmitWorks(path.join(app, 'node_modules', 'ocrq', 'bin', 'ocrq.js'), app);
  });

  it("the Dockerfile's run stage: the packed files and the lockfile, npm ci --omit=dev, offline", { timeout: 180_000 }, async () => {
    const dir = await makeTempDir('ocrq-pack-');
    const { tarball } = await pack(dir);
    const app = path.join(dir, 'opt-ocrq');
    await fs.mkdir(app);
    await run('tar', ['-xzf', tarball, '-C', app, '--strip-components=1']);
    await fs.copyFile(path.join(REPO_ROOT, 'package-lock.json'), path.join(app, 'package-lock.json'));
    await run(npm, ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: app });
    const dev = await devDependencies();
    expect((await fs.readdir(path.join(app, 'node_modules'))).filter((name) => dev.includes(name))).toEqual([]);
    await expectSubmitWorks(path.join(app, 'bin', 'ocrq.js'), app);
  });
});
