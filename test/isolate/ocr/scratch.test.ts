import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleScratch, makeScratchDirSync, pidNamespace, scratchName } from '../../../src/isolate/ocr/scratch.js';

const PREFIX = 'ocrq-scratch-test-';
const made: string[] = [];

afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A pid that no longer runs: a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function folder(name: string): Promise<string> {
  const dir = path.join(os.tmpdir(), name);
  await mkdir(dir, { recursive: true });
  made.push(dir);
  return dir;
}

describe('scratch folders', () => {
  it('are named after the PID namespace and the process', () => {
    expect(pidNamespace()).toMatch(/^\d+$/);
    expect(scratchName(PREFIX)).toBe(`${PREFIX}${pidNamespace()}.${process.pid}-`);
  });

  it("are removed when their run is gone from this namespace, kept when it runs, and never judged from another namespace's pid", async () => {
    const dead = deadPid();
    const gone = await folder(`${PREFIX}${pidNamespace()}.${dead}-aaaaaa`);
    const running = await folder(`${PREFIX}${pidNamespace()}.${process.ppid}-bbbbbb`);
    // Another container sharing /tmp: its pids mean nothing here, whether or not one happens to be free here.
    const elsewhere = await folder(`${PREFIX}1${pidNamespace()}.${dead}-cccccc`);
    // A folder named before the namespace was in the name: judged by its pid alone.
    const older = await folder(`${PREFIX}${dead}-dddddd`);
    const unrelated = await folder(`${PREFIX}e2e-eeeeee`);
    expect([gone, running, elsewhere, older, unrelated].map((d) => isStaleScratch(path.basename(d), PREFIX))).toEqual([true, false, false, true, false]);
    const mine = makeScratchDirSync(PREFIX);
    made.push(mine);
    expect(path.basename(mine).startsWith(scratchName(PREFIX))).toBe(true);
    expect([gone, running, elsewhere, older, unrelated].map((d) => existsSync(d))).toEqual([false, true, true, false, true]);
    const again = makeScratchDirSync(PREFIX);
    made.push(again);
    // A run's own folders are never stale to itself.
    expect(existsSync(mine)).toBe(true);
  });
});
