// `npm run bench [-- names...] [--quick]`: runs benchmark modules (bench/<name>.mjs), each measuring ocrq side by
// side with the tool a user would pick instead, prints one table of ratios and targets, and writes
// bench/results.json with every module's rows and details and the machine they ran on. Benchmarks are not tests:
// a target not met is reported, and the exit code is non-zero only when a module could not run.
// Every comparison runs at least 3 rounds, alternating ocrq and its baseline; a ratio is the median of the rounds'
// ratios, shown with their range, and results.json keeps every round (rows' `ratios`, modules' details).
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const MODULES = ['walk', 'rate', 'webhook-intake', 'memory', 'merge', 'shard', 'ocr', 'engines', 'ocrmypdf', 'isolation', 'quality'];
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(benchDir, '..');
const resultsFile = path.join(benchDir, 'results.json');
const COLUMNS = ['case', 'ocrq', 'baseline', 'ratio', 'target', 'met'];

const log = (line) => process.stderr.write(`${line}\n`);

function parseCommandLine() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`usage: node bench/run.mjs [${MODULES.join('|')}]... [--quick]`);
    process.exit(0);
  }
  const unknown = positionals.filter((n) => !MODULES.includes(n) && !existsSync(path.join(benchDir, `${n}.mjs`)));
  if (unknown.length > 0) {
    log(`bench: unknown benchmark ${unknown.join(', ')}; known: ${MODULES.join(', ')}`);
    process.exit(2);
  }
  return { names: positionals.length > 0 ? positionals : MODULES, quick: values.quick };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

const cell = (value) => (value === null || value === undefined ? '-' : value === true ? 'yes' : value === false ? 'NO' : String(value));

/** A ratio measured over rounds shows its median and range: `1.61 (1.21..2.00)`. */
const ratioCell = (row) => (Array.isArray(row.ratioRange) && row.ratioRange[0] !== null && row.ratio !== null ? `${row.ratio} (${row.ratioRange[0]}..${row.ratioRange[1]})` : cell(row.ratio));

export function formatTable(rows) {
  const cells = rows.map((r) => COLUMNS.map((c) => (c === 'ratio' ? ratioCell(r) : cell(r[c]))));
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main() {
  const { names, quick } = parseCommandLine();
  if (!existsSync(path.join(repo, 'dist/ocrq.js'))) {
    log('bench: dist/ is missing: run `npm run build` first (npm run bench does)');
    process.exit(2);
  }
  const results = { date: new Date().toISOString(), quick, machine: machine(), modules: {} };
  const table = [];
  let broken = 0;
  for (const name of names) {
    const file = path.join(benchDir, `${name}.mjs`);
    if (!existsSync(file)) {
      log(`bench: ${name}: skipped, bench/${name}.mjs is not there`);
      results.modules[name] = { skipped: 'module file missing' };
      table.push({ case: `${name}: skipped (bench/${name}.mjs missing)`, ocrq: '', baseline: '', ratio: '', target: '', met: null });
      continue;
    }
    const started = performance.now();
    const loadBefore = os.loadavg().map((l) => Number(l.toFixed(2)));
    try {
      const mod = await import(pathToFileURL(file).href);
      log(`bench: ${mod.name ?? name}${quick ? ' (quick)' : ''}: ${mod.description ?? ''}`);
      const { rows, details } = await mod.run({ log: (line) => log(`[${name}] ${line}`), quick });
      results.modules[name] = { description: mod.description, seconds: Number(((performance.now() - started) / 1000).toFixed(1)), loadavgBefore: loadBefore, loadavgAfter: os.loadavg().map((l) => Number(l.toFixed(2))), rows, details };
      table.push(...rows);
    } catch (error) {
      broken += 1;
      log(`bench: ${name} failed: ${error?.stack ?? error}`);
      results.modules[name] = { error: String(error?.message ?? error), seconds: Number(((performance.now() - started) / 1000).toFixed(1)) };
      table.push({ case: `${name}: could not run`, ocrq: String(error?.message ?? error).split('\n')[0].slice(0, 60), baseline: '', ratio: '', target: '', met: null });
    }
    // Written after every module, so that a long run interrupted later keeps what it measured.
    results.machine.loadavgEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
    await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(formatTable(table));
  const { cpus, node, loadavg } = results.machine;
  console.log(`\n${cpus} CPUs, node ${node}, load average at start ${loadavg.join(' ')}${quick ? ', --quick' : ''}`);
  console.log('ratio: ocrq / baseline (walk, webhook-intake, ...); admitted rate / --rps (rate); measured / limit (memory); median of the rounds (range)');
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`bench: wrote ${path.relative(process.cwd(), resultsFile) || resultsFile}`);
  process.exitCode = broken > 0 ? 1 : 0;
}

await main();
