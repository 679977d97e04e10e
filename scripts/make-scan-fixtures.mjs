// Generates the page-orientation fixtures under test/scans/ and their expected text in test/scans/ground-truth.json:
// one page of text upright, turned 90, 180 and 270 degrees (clockwise, as a sheet fed sideways or upside down into
// a scanner), skewed by 3 degrees either way (fed crooked), and a scanned PDF whose page image lies sideways. Kept out of
// fixtures/ because a run without --rotate does not read them (that is what they show).
//
// How to run:   node scripts/make-scan-fixtures.mjs [out-dir]
// out-dir defaults to the repository root and receives test/scans/ (tests regenerate into a temporary directory and
// compare). Output is deterministic: a second run rewrites byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPdf, SCAN_JPEG_QUALITY } from './lib/pdf-documents.mjs';
import { renderText, turnCanvas } from './lib/text-canvas.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? repoRoot);
const outDir = path.join(root, 'test', 'scans');

const LINES = [
  'Delivery note 5286 for Quayside Hardware',
  'Forty boxes of brass hinges, order 7713.',
  'Signed for at the loading bay on May 12.',
];
/**
 * A page of ten long lines skewed 3 degrees clockwise: each line falls by more than the line pitch from its start to
 * its end, and Tesseract's layout analysis (`--psm auto`) loses most of them unless the page is straightened first
 * (--rotate does).
 */
const PARAGRAPH = [
  'Minutes of the harbor board, meeting 214, held at the east pier office',
  'on Tuesday 12 March. Repairs to the north wall will cost 18,400 pounds;',
  'the tender from Castillo and Novak was accepted by five votes to two.',
  'Work starts in June and should end by September, weather permitting.',
  'Mooring fees rise by 4 percent from 1 April for every vessel in the',
  'outer basin; fishing boats under ten metres remain exempt this year.',
  'The winter storm damaged two cranes on quay 3. Both are insured and',
  'will be replaced in March by the same supplier at no cost to members.',
  'A proposal to open the old customs house as a museum was deferred.',
  'The next meeting is on the first Monday of May at half past seven.',
];
/** The upright page: 1000 x 500 px, 34 px type, as the image fixtures in fixtures/images. */
const PAGE = { width: 1000, height: 500, fontSize: 34 };
/** The sideways PDF page: 6 x 4 in scanned at 200 dpi, its image turned 90 degrees on a 4 x 6 in page. */
const PDF_PAGE = { width: 1200, height: 800, fontSize: 44, margin: 60 };

export const SCANS = [
  { file: 'upright.png', turn: 0, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), 0).toBuffer('image/png') },
  { file: 'turned-90.png', turn: 90, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), 90).toBuffer('image/png') },
  { file: 'turned-180.png', turn: 180, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), 180).toBuffer('image/png') },
  { file: 'turned-270.png', turn: 270, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), 270).toBuffer('image/png') },
  { file: 'skewed-3.png', turn: 3, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), 3).toBuffer('image/png') },
  { file: 'skewed-minus-3.png', turn: -3, make: () => turnCanvas(renderText({ ...PAGE, lines: LINES }), -3).toBuffer('image/png') },
  {
    file: 'skewed-3-paragraph.png',
    turn: 3,
    text: PARAGRAPH.join('\n'),
    make: () => turnCanvas(renderText({ width: 1400, height: 680, fontSize: 36, margin: 40, lines: PARAGRAPH }), 3).toBuffer('image/png'),
  },
  {
    file: 'sideways-scan.pdf',
    turn: 90,
    make: () =>
      buildPdf({
        name: 'sideways-scan',
        title: 'Delivery note 5286',
        page: { width: 288, height: 432, margin: 36, fontSize: 18 },
        pages: [{ jpeg: turnCanvas(renderText({ ...PDF_PAGE, lines: LINES }), 90).toBuffer('image/jpeg', SCAN_JPEG_QUALITY) }],
      }),
  },
];

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const truth = {};
  for (const scan of SCANS) {
    const file = path.join(outDir, scan.file);
    fs.writeFileSync(file, scan.make());
    // `turn`: how far the page was turned clockwise; reading it takes the opposite turn (360 - turn).
    truth[scan.file] = { text: scan.text ?? LINES.join('\n'), turn: scan.turn };
    console.log(`${path.relative(root, file)}  ${fs.statSync(file).size} bytes`);
  }
  fs.writeFileSync(path.join(outDir, 'ground-truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
