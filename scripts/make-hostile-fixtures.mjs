// Generates the hostile PDFs under test/hostile-pdfs/ and their expected outcomes in test/hostile-pdfs/expected.json.
// They are kept out of fixtures/ on purpose: a plain `ocrq submit fixtures` must stay quick, and several of these
// files exhaust memory or time in a PDF reader that has no budget around it.
//
// How to run:   node scripts/make-hostile-fixtures.mjs [out-dir]
// out-dir defaults to the repository root and receives test/hostile-pdfs/ (tests regenerate into a temporary
// directory and compare). Output is deterministic: a second run rewrites byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildDeepDict,
  buildDeepNesting,
  buildFourPageScan,
  buildHugePageCount,
  buildManyPages,
  buildMemoryBomb,
  buildPatternLoop,
  buildPosterScan,
  buildPosterText,
  buildSlowPage,
  buildXObjectCycle,
  buildXrefLoop,
} from './lib/hostile-pdfs.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? repoRoot);
const outDir = path.join(root, 'test', 'hostile-pdfs');

/**
 * Each file, what it is, and the outcome ocrq must give it with the budgets its hostile-document test runs with
 * (TEST_BUDGETS) and the default limits otherwise (300 dpi, 50 megapixels, 2000 pages). `outcome` is either
 * "completed" or a failure { code, reason }, or { code, reasons } for a file that grows without end, which stops at
 * whichever budget it reaches first (memory on a quiet machine, time on a busy one).
 */
export const TEST_BUDGETS = ['--max-page-seconds', '20', '--max-worker-memory', '512MB'];

export const HOSTILE_PDFS = [
  {
    file: 'memory-bomb.pdf',
    build: buildMemoryBomb,
    what: 'Form XObjects nested 9 deep, each drawing the next 10 times (10^9 painted squares); no text.',
    outcome: { code: 'LIMIT_EXCEEDED', reasons: ['memory', 'time'] },
  },
  {
    file: 'pattern-loop.pdf',
    build: buildPatternLoop,
    what: 'A tiling pattern whose cell is filled with itself; the operator list never completes.',
    outcome: { code: 'LIMIT_EXCEEDED', reasons: ['memory', 'time'] },
  },
  {
    file: 'xobject-cycle.pdf',
    build: buildXObjectCycle,
    what: 'Form XObjects drawing each other (A -> B -> A) and one drawing itself; the cycles are cut, the page is blank.',
    outcome: 'completed',
  },
  {
    file: 'slow-page.pdf',
    build: buildSlowPage,
    what: 'A valid page of 10000 large, semi-transparent, dashed Bezier shapes: finite but slow to render (about 35 s at 300 dpi, within the default budget).',
    outcome: { code: 'LIMIT_EXCEEDED', reason: 'time' },
  },
  {
    file: 'poster-scan.pdf',
    build: buildPosterScan,
    what: 'A 250 x 500 in page covered by one 75000 x 150000 1-bit image (11.25 gigapixels).',
    outcome: { code: 'LIMIT_EXCEEDED', reason: 'pixels' },
  },
  {
    file: 'poster-text.pdf',
    build: buildPosterText,
    what: 'A 250 x 500 in page whose words are stroked paths, no text layer: 75000 x 150000 pixels at 300 dpi.',
    outcome: { code: 'LIMIT_EXCEEDED', reason: 'pixels' },
  },
  {
    file: 'scanned-4-pages.pdf',
    build: buildFourPageScan,
    what: 'An ordinary four-page 200 dpi scan, the companion of the posters in a mixed run.',
    outcome: 'completed',
  },
  {
    file: 'deep-nesting.pdf',
    build: buildDeepNesting,
    what: 'A content stream whose TJ operand is an array nested 100000 deep; the reader skips it and keeps the page.',
    outcome: 'completed',
  },
  {
    file: 'deep-dict.pdf',
    build: buildDeepDict,
    what: 'A page dictionary holding a dictionary nested 100000 deep (in a compressed object stream); the page cannot be read.',
    outcome: { code: 'PDF_INVALID' },
  },
  {
    file: 'xref-loop.pdf',
    build: buildXrefLoop,
    what: 'A cross-reference stream that is its own /Prev, and two object streams each placed inside the other.',
    outcome: { code: 'PDF_INVALID' },
  },
  {
    file: 'huge-page-count.pdf',
    build: buildHugePageCount,
    what: 'A page tree claiming 1000000 pages (/Count) with a single real page; the reader counts the one real page.',
    outcome: 'completed',
  },
  {
    file: 'many-pages.pdf',
    build: buildManyPages,
    what: '100000 real pages sharing one content stream, packed into object streams.',
    outcome: { code: 'LIMIT_EXCEEDED', reason: 'pages' },
  },
];

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const expected = {};
  for (const { file, build, what, outcome } of HOSTILE_PDFS) {
    const target = path.join(outDir, file);
    fs.writeFileSync(target, build());
    expected[file] = { what, outcome };
    console.log(`${path.relative(root, target)}  ${fs.statSync(target).size} bytes`);
  }
  fs.writeFileSync(path.join(outDir, 'expected.json'), `${JSON.stringify({ budgets: TEST_BUDGETS, files: expected }, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
