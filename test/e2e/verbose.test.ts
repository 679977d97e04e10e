/**
 * `--verbose` adds the error's stack to its one-line message. ocrq runs from a bundle (scripts/bundle.mjs); with
 * --verbose, and only then, bin/ocrq.js reads its source maps, so that the stack names the TypeScript sources a bug
 * report needs rather than the bundle's chunks.
 */
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('--verbose (spawned ocrq)', () => {
  it('prints the stack of an error with the source files and lines it came from; without it, the one line only', async () => {
    const dir = await makeTempDir();
    const plain = await spawnOcrq(['status', 'missing.jsonl'], { cwd: dir }).exited;
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^ocrq: error: manifest \S*missing\.jsonl not found\n/);
    expect(plain.stderr).not.toMatch(/^\s+at /m);

    const verbose = await spawnOcrq(['status', 'missing.jsonl', '--verbose'], { cwd: dir }).exited;
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/^ocrq: error: manifest \S*missing\.jsonl not found\n/);
    expect(verbose.stderr).toMatch(/^\s+at \S+ \(\S*\/src\/manifest\/read\.ts:\d+:\d+\)$/m);
    expect(verbose.stderr).not.toMatch(/chunk-[A-Z0-9]+\.js/);
  });
});
