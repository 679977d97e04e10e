/**
 * `ocrq repair MANIFEST`: moves the manifest's corrupt lines to `MANIFEST.corrupt` and rewrites it without them, so
 * that `submit`, `status` and `export` need no `--repair` afterwards (docs/manifest.md "The file").
 */
import { resolve } from 'node:path';
import { repairManifest } from '../../manifest/repair.js';
import { warnTo, writeToStream } from '../../manifest/write-stream.js';
import { plural } from '../../output/format.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { RepairOptions } from './options.js';

export type { RepairOptions } from './options.js';

export interface RepairSummary {
  manifest: string;
  kept: number;
  moved: number;
  /** The numbers of the first lines moved. */
  moved_lines: number[];
  /** Where the moved lines were appended; null when the manifest had none. */
  side_file: string | null;
}

export async function repair(options: RepairOptions, deps: CommandDeps): Promise<CommandResult<RepairSummary>> {
  const result = await repairManifest(resolve(deps.cwd, options.manifest), warnTo(deps.stderr));
  const sideFile = result.sideFile === null ? null : options.manifest + result.sideFile.slice(result.manifest.length);
  const summary: RepairSummary = { manifest: options.manifest, kept: result.kept, moved: result.moved, moved_lines: result.movedLines, side_file: sideFile };
  if (options.json) {
    await writeToStream(deps.stdout, (async function* () {
      yield `${JSON.stringify({ type: 'summary', ...summary, exit_code: 0 })}\n`;
    })());
  } else if (!options.quiet) {
    const lines = result.movedLines.join(', ') + (result.moved > result.movedLines.length ? ', …' : '');
    deps.stderr.write(
      result.moved === 0
        ? `ocrq: ${options.manifest}: no corrupt line (${plural(result.kept, 'row')}); nothing to repair\n`
        : `ocrq: ${options.manifest}: moved ${plural(result.moved, 'corrupt line')} (line ${lines}) to ${sideFile}; kept ${plural(result.kept, 'row')}\n`,
    );
  }
  return { exitCode: 0, summary };
}
