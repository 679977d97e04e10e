// Generates the page-layout fixtures under test/layout/ and their expected text in test/layout/ground-truth.json:
// a page of two columns, read down the left column and then down the right one (a newsletter), and a form whose
// values are written in boxes beside their labels, read row by row. They show what `--psm` changes: Tesseract's
// layout analysis (auto) finds the columns and the boxes; one block of text (block) reads straight across the page.
//
// How to run:   node scripts/make-layout-fixtures.mjs [out-dir]
// out-dir defaults to the repository root and receives test/layout/ (tests regenerate into a temporary directory and
// compare). Output is deterministic: a second run rewrites byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, FONT_FAMILY } from './lib/text-canvas.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? repoRoot);
const outDir = path.join(root, 'test', 'layout');

const TITLE = 'Harbor District Newsletter 41';
const LEFT = [
  'The ferry to Cobb Island',
  'returns on 3 May after',
  'six weeks of repairs to',
  'its engine and landing',
  'ramp. Tickets are sold',
  'at the harbor office',
  'from eight in the morning',
  'and on board. Children',
  'under five travel free.',
  'Dogs must be on a lead.',
];
const RIGHT = [
  'Garden plots behind the',
  'old railway station are',
  'free to rent this spring.',
  'Ask Mrs. Okafor at the',
  'library before Friday',
  'to reserve plot 17 or 18.',
  'Tools are kept in the',
  'green shed by the gate',
  'and water comes from',
  'the pump near plot 4.',
];

const FORM_TITLE = 'Parking permit application';
const FORM_ROWS = [
  [['Surname', 'Castillo']],
  [['Street', '36 Mill Lane']],
  [['Town', 'Westbury'], ['Zone', 'C']],
  [['Vehicle', 'Volvo'], ['Colour', 'Blue']],
];

function page(width, height) {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.strokeStyle = '#000000';
  ctx.textBaseline = 'alphabetic';
  return { canvas, ctx };
}

function text(ctx, line, x, y, size, maxX) {
  ctx.font = `${size}px "${FONT_FAMILY}"`;
  if (x + ctx.measureText(line).width > maxX) throw new Error(`text does not fit: "${line}"`);
  ctx.fillText(line, x, y);
}

/** 1500 x 880 px: a title across the page, then two columns of 34 px type, 200 px apart. */
function twoColumns() {
  const { canvas, ctx } = page(1500, 880);
  text(ctx, TITLE, 60, 90, 46, 1440);
  LEFT.forEach((line, i) => text(ctx, line, 60, 180 + i * 66, 34, 640));
  RIGHT.forEach((line, i) => text(ctx, line, 840, 180 + i * 66, 34, 1440));
  return canvas.toBuffer('image/png');
}

/** 1400 x 700 px: a title, then labels in 30 px type, each left of its value in 40 px type inside a drawn box. */
function form() {
  const { canvas, ctx } = page(1400, 700);
  text(ctx, FORM_TITLE, 60, 90, 46, 1340);
  ctx.lineWidth = 3;
  const slots = [[60, 300, 1340], [760, 960, 1340]];
  FORM_ROWS.forEach((fields, r) => {
    const y = 230 + r * 130;
    fields.forEach(([label, value], f) => {
      const [labelX, boxX] = slots[f];
      const boxEnd = fields.length === 1 ? 1340 : [660, 1340][f];
      text(ctx, label, labelX, y, 30, boxX - 20);
      ctx.strokeRect(boxX, y - 55, boxEnd - boxX, 80);
      text(ctx, value, boxX + 20, y, 40, boxEnd - 20);
    });
  });
  return canvas.toBuffer('image/png');
}

export const LAYOUTS = [
  {
    file: 'two-column.png',
    make: twoColumns,
    // Down the left column, then down the right; what a page read straight across starts with instead.
    text: [TITLE, ...LEFT, ...RIGHT].join('\n'),
    across: `${LEFT[0]} ${RIGHT[0]}`,
  },
  {
    file: 'form.png',
    make: form,
    text: [FORM_TITLE, ...FORM_ROWS.map((fields) => fields.flat().join(' '))].join('\n'),
  },
];

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const truth = {};
  for (const layout of LAYOUTS) {
    const file = path.join(outDir, layout.file);
    fs.writeFileSync(file, layout.make());
    truth[layout.file] = layout.across ? { text: layout.text, across: layout.across } : { text: layout.text };
    console.log(`${path.relative(root, file)}  ${fs.statSync(file).size} bytes`);
  }
  fs.writeFileSync(path.join(outDir, 'ground-truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
