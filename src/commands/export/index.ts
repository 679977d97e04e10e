import { basename, dirname, resolve } from 'node:path';
import { ConfigError, ExitCode } from '../../errors.js';
import { csvChunks, writeCsvFile } from '../../manifest/csv.js';
import { readFoldedManifest } from '../../manifest/folded-view.js';
import { openManifestForReading } from '../../manifest/read.js';
import { removeStaleTempFiles, writeFileAtomic } from '../../manifest/atomic.js';
import type { ManifestRow } from '../../manifest/types.js';
import type { CommandDeps } from '../deps.js';
import type { CommandResult } from '../result.js';
import type { ExportOptions } from './options.js';
import { warnTo, writeToStream } from '../../manifest/write-stream.js';

export type { ExportOptions } from './options.js';

export interface ExportSummary {
  jobs: number;
}

/** Writes the folded manifest, one row per job, as JSONL or CSV. Reads only: takes no lock. */
export async function exportManifest(options: ExportOptions, deps: CommandDeps): Promise<CommandResult<ExportSummary>> {
  const manifest = resolve(deps.cwd, options.manifest);
  // Fails with a ConfigError naming the file before any output is started.
  await (await openManifestForReading(manifest)).close();
  const output = options.output === undefined || options.output === '-' ? undefined : resolve(deps.cwd, options.output);
  if (output === manifest) {
    throw new ConfigError(
      `refusing to overwrite manifest ${options.manifest} with its export`,
      'give -o another file name',
    );
  }
  let jobs = 0;
  const rows = (async function* (): AsyncGenerator<ManifestRow> {
    for await (const row of readFoldedManifest(manifest, { repair: options.repair, onWarning: options.quiet ? () => {} : warnTo(deps.stderr) })) {
      if (options.lowConfidence && !hasLowConfidence(row)) continue;
      jobs += 1;
      yield row;
    }
  })();
  if (options.format === 'csv') {
    if (output) await writeCsvFile(rows, output);
    else await writeToStream(deps.stdout, csvChunks(rows));
  } else {
    const lines = jsonLines(rows);
    if (output) {
      await removeStaleTempFiles(dirname(output), basename(output));
      await writeFileAtomic(output, lines);
    } else await writeToStream(deps.stdout, lines);
  }
  if (options.json) {
    const summary = { jobs, output: options.output };
    await writeToStream(deps.stdout, (async function* () {
      yield `${JSON.stringify(summary)}\n`;
    })());
  }
  return { exitCode: ExitCode.Ok, summary: { jobs } };
}

function hasLowConfidence(row: ManifestRow): boolean {
  return row.status === 'completed' && typeof row.low_confidence_pages === 'number' && row.low_confidence_pages > 0;
}

async function* jsonLines(rows: AsyncIterable<ManifestRow>): AsyncGenerator<string> {
  for await (const row of rows) yield `${JSON.stringify(row)}\n`;
}
