/**
 * The shape of src/: its top-level folders import each other without a cycle (each is one stage, ARCHITECTURE.md),
 * and no file of the walker grows past what one reads at a sitting.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const MAX_WALK_FILE_LINES = 300;

/** Every .ts file under `dir`, as paths relative to src/ with forward slashes. */
function sourceFiles(dir: string = SRC): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path.relative(SRC, full).split(path.sep).join('/'));
  }
  return files.sort();
}

/** Relative specifiers of static imports and re-exports (type-only ones too) and of dynamic `import()`. */
export function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)) found.push(m[2]);
  return found;
}

/** The node a file of src/ belongs to: its top-level folder (`targets/http/x.ts` → `targets`), or itself at the root. */
export function nodeOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

interface Edge {
  from: string;
  to: string;
  /** One import that makes the edge, for the message. */
  example: string;
}

/** The graph between top-level nodes, with one example import per edge; imports within a node are left out. */
function folderGraph(files: string[]): Map<string, Map<string, Edge>> {
  const graph = new Map<string, Map<string, Edge>>();
  for (const file of files) {
    const from = nodeOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const spec of relativeImports(readFileSync(path.join(SRC, file), 'utf8'))) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const to = nodeOf(target);
      if (to === from || graph.get(from)!.has(to)) continue;
      graph.get(from)!.set(to, { from, to, example: `src/${file} imports ${spec}` });
    }
  }
  return graph;
}

/** Every cycle closed by a back edge of a depth-first search, as its edges in order; none when the graph is acyclic. */
export function findCycles<E extends { to: string }>(graph: Map<string, Map<string, E>>): E[][] {
  const cycles: E[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: E[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    for (const edge of graph.get(node)?.values() ?? []) {
      const seen = state.get(edge.to);
      if (seen === 'open') {
        const start = trail.findIndex((e) => e.to === edge.to);
        cycles.push([...trail.slice(start + 1), edge]);
      } else if (seen === undefined) {
        trail.push(edge);
        visit(edge.to);
        trail.pop();
      }
    }
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

const describeCycle = (cycle: Edge[]): string =>
  [`${cycle.map((e) => e.from).join(' -> ')} -> ${cycle[0].from}`, ...cycle.map((e) => `  ${e.from} -> ${e.to}: ${e.example}`)].join('\n');

const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

describe('architecture', () => {
  const files = sourceFiles();

  it('reads imports the way src/ writes them', () => {
    expect(relativeImports("import a from './a.js';\nimport type { B } from '../b/c.js';\nexport { d } from './d.js';\nconst e = await import('./e.js');\nimport 'node:fs';")).toEqual([
      './a.js',
      '../b/c.js',
      './d.js',
      './e.js',
    ]);
    expect(nodeOf('targets/http/pacing/limiter.ts')).toBe('targets');
    expect(nodeOf('targets/local/engine.ts')).toBe('targets');
    expect(nodeOf('errors.ts')).toBe('errors.ts');
  });

  it('finds a cycle when there is one', () => {
    const edge = (from: string, to: string) => ({ from, to, example: '' });
    const graph = new Map([
      ['a', new Map([['b', edge('a', 'b')]])],
      ['b', new Map([['c', edge('b', 'c')]])],
      ['c', new Map([['a', edge('c', 'a')]])],
      ['d', new Map([['a', edge('d', 'a')]])],
    ]);
    expect(findCycles(graph).map((c) => c.map((e) => `${e.from}>${e.to}`))).toEqual([['a>b', 'b>c', 'c>a']]);
    graph.get('c')!.delete('a');
    expect(findCycles(graph)).toEqual([]);
  });

  it('has no import cycle between the top-level folders of src/', () => {
    const graph = folderGraph(files);
    // The scan sees the real tree: the walker, the pipeline and the targets are all reached from the commands.
    expect([...graph.get('commands')!.keys()]).toEqual(expect.arrayContaining(['walk', 'submit', 'targets', 'manifest']));
    const cycles = findCycles(graph);
    expect(cycles.map(describeCycle).join('\n\n'), 'import cycle between folders of src/').toBe('');
  });

  it(`keeps every file under src/walk/ within ${MAX_WALK_FILE_LINES} lines`, () => {
    const walkFiles = files.filter((f) => f.startsWith('walk/'));
    expect(walkFiles).toContain('walk/walk.ts');
    const long = walkFiles
      .map((f) => ({ file: `src/${f}`, lines: lineCount(readFileSync(path.join(SRC, f), 'utf8')) }))
      .filter((f) => f.lines > MAX_WALK_FILE_LINES);
    expect(long).toEqual([]);
  });

  it('names every folder and root file of src/ in ARCHITECTURE.md, and nothing that is gone', () => {
    const doc = readFileSync(path.join(SRC, '..', 'ARCHITECTURE.md'), 'utf8');
    const nodes = new Set(sourceFiles().map((file) => (file.includes('/') ? `src/${nodeOf(file)}/` : `src/${file}`)));
    for (const node of nodes) expect(doc, node).toContain(`\`${node}\``);
    for (const m of doc.matchAll(/`(src\/[\w./<>-]+)`/g)) {
      const named = m[1];
      if (named.includes('<')) continue;
      const exists = named.endsWith('/') ? sourceFiles().some((f) => `src/${f}`.startsWith(named)) : sourceFiles().includes(named.slice(4));
      expect(exists, `ARCHITECTURE.md names ${named}, which is not in src/`).toBe(true);
    }
  });
});
