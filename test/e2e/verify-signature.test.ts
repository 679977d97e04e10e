import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/spawn.js';
import { makeTempDir } from '../helpers/tmp.js';
import { GITHUB, OCRQUEEN } from '../signature/vectors.js';

function ocrq(args: string[], input?: Buffer, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ocrq verify-signature (spawned)', () => {
  it("GitHub's published example is valid from stdin with a bare --signature; a flipped byte is invalid (exit 6)", () => {
    const ok = ocrq(['verify-signature', '--secret', GITHUB.secret, '--signature', `sha256=${GITHUB.hex}`], GITHUB.body);
    expect(ok).toMatchObject({ code: 0, stdout: 'valid\n' });
    const flipped = Buffer.from(GITHUB.body);
    flipped[0] ^= 1;
    const bad = ocrq(['verify-signature', '--secret', GITHUB.secret, '--signature', GITHUB.hex], flipped);
    expect(bad.code).toBe(6);
    expect(bad.stdout).toBe('invalid: wrong signature\n');
  });

  it("OCRQueen's vector from a file with --provider and --header; the secret from OCRQ_WEBHOOK_SECRET", async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'body.json');
    await fs.writeFile(file, OCRQUEEN.body);
    const ok = ocrq(['verify-signature', '--provider', 'ocrqueen', '--header', `OCRQueen-Signature: sha256=${OCRQUEEN.hex}`, file], undefined, { OCRQ_WEBHOOK_SECRET: OCRQUEEN.secret });
    expect(ok).toMatchObject({ code: 0, stdout: 'valid\n' });
    const truncated = ocrq(['verify-signature', '--secret', OCRQUEEN.secret, '--header', `OCRQueen-Signature: sha256=${OCRQUEEN.hex.slice(0, 63)}`, file]);
    expect(truncated.code).toBe(6);
    expect(truncated.stdout).toBe('invalid: malformed header\n');
    expect(truncated.stdout + truncated.stderr).not.toContain(OCRQUEEN.secret);
  });

  it('usage errors exit 2: no secret, no signature or header', () => {
    const env = { OCRQ_WEBHOOK_SECRET: '' };
    expect(ocrq(['verify-signature', '--signature', GITHUB.hex], GITHUB.body, env).code).toBe(2);
    expect(ocrq(['verify-signature', '--secret', 's'], GITHUB.body, env).code).toBe(2);
  });
});
