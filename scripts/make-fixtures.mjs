// Generates the document fixtures under fixtures/ and their expected text in fixtures/ground-truth.json,
// plus the two documents that exist only inside the ZIP fixtures (scripts/zip-content/).
//
// How to run (no npm needed, only an installed node_modules):   node scripts/make-fixtures.mjs [out-dir]
// It can be run from any directory. out-dir defaults to the repository root; another directory receives the
// same fixtures/ and scripts/zip-content/ layout (tests use that to compare against the committed files). Output is deterministic: a second run rewrites byte-identical files,
// so `git status` stays clean unless the generator changed. It only writes the files it owns; the ZIP
// fixtures (fixtures/archive.zip, fixtures/nested/, fixtures/hostile/) come from make-zip-fixtures.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCryptFilterSecurity } from './lib/aes-encrypt.mjs';
import { buildCorruptPdf } from './lib/corrupt-pdf.mjs';
import { encodeGifGray } from './lib/gif-writer.mjs';
import { buildPdf, fileIdFor, renderScannedPage } from './lib/pdf-documents.mjs';
import { encodeBmp24, encodeTiffGray } from './lib/raster-writers.mjs';
import { createStandardSecurity } from './lib/rc4-encrypt.mjs';
import { readGray, readRgba, renderText } from './lib/text-canvas.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? repoRoot);
const fixturesDir = path.join(root, 'fixtures');
const zipContentDir = path.join(root, 'scripts', 'zip-content');

const encoders = {
  png: (canvas) => canvas.toBuffer('image/png'),
  jpeg: (canvas) => canvas.toBuffer('image/jpeg', 80),
  webp: (canvas) => canvas.toBuffer('image/webp', 80),
  tiff: (canvas) => encodeTiffGray(readGray(canvas)),
  bmp: (canvas) => encodeBmp24(readRgba(canvas)),
  gif: (canvas) => encodeGifGray(readGray(canvas)),
};

/** Uncompressed TIFF and BMP are kept small in pixels so each file stays under ~150 KB. */
const IMAGES = [
  {
    file: 'images/invoice.png', format: 'png', width: 1000, height: 500, fontSize: 34,
    lines: [
      'Invoice 4821 from Harbor Supply Company',
      'Total due: 1,250.00 dollars by March 15.',
      'Thank you for your prompt payment.',
      'Questions? Call 555-0142 before 5 pm.',
    ],
  },
  {
    file: 'images/receipt.jpg', format: 'jpeg', width: 1000, height: 500, fontSize: 34,
    lines: [
      'Receipt 3307 from the Corner Bakery',
      'Two loaves of rye bread cost 9 dollars.',
      'Paid in cash on June 21 at 8:40 am.',
      'Please come again soon.',
    ],
  },
  {
    file: 'images/letter.tiff', format: 'tiff', width: 720, height: 200, fontSize: 30,
    lines: [
      'Dear Ms. Patel, your order 6150 shipped.',
      'It should arrive within 3 business days.',
      'Kind regards, the Riverside Team',
    ],
  },
  {
    file: 'images/memo.webp', format: 'webp', width: 1000, height: 500, fontSize: 36,
    lines: [
      'Memo 27: the staff meeting moves to Room 12.',
      'It now starts at 10:30 on Thursday.',
      'Bring the quarterly sales figures.',
    ],
  },
  {
    file: 'images/note.bmp', format: 'bmp', width: 400, height: 120, fontSize: 24,
    lines: ['Note 58: water the plants.', 'Feed the cat at 7 every day.', 'Back home on Friday.'],
  },
  {
    file: 'images/sign.gif', format: 'gif', width: 900, height: 300, fontSize: 34,
    lines: [
      'Welcome to Maple Street Library',
      'Open daily from 9 to 6, closed on holidays.',
      'Floor 2 has 40 quiet study desks.',
    ],
  },
];

/** Documents that exist only inside the ZIP fixtures; keyed in the ground truth by their archive path. */
const ZIP_ONLY_IMAGES = [
  {
    file: 'only-in-zip.png', key: 'archive.zip!/only-in-zip.png', format: 'png', width: 800, height: 300, fontSize: 32,
    lines: ['This file lives only in the archive.', 'Archive item 8816 was packed in 2023.', 'It has 3 lines of text.'],
  },
  {
    file: 'nested-only.jpg', key: 'archive.zip!/nested.zip!/nested-only.jpg', format: 'jpeg', width: 800,
    height: 300, fontSize: 32,
    lines: ['Nested archive document 6093.', 'It sits two levels deep in ZIPs.', 'Found on shelf 14 of the store.'],
  },
];

const BORN_DIGITAL_PAGES = [
  [
    'Quarterly Report 2024, page one.',
    'Revenue grew by 12 percent this year.',
    'We opened 3 new stores in the north.',
    'Staff count reached 145 people.',
  ],
  ['Quarterly Report 2024, page two.', 'Costs fell by 7 percent overall.', 'The board meets again on May 9.'],
];

const SCANNED_PAGES = [
  ['Scanned contract 7731, page 1.', 'The tenant pays 900 dollars monthly.', 'Rent is due on the 1st of each month.'],
  ['Scanned contract 7731, page 2.', 'The lease runs for 12 months.', 'Pets are allowed with a 200 deposit.'],
  ['Scanned contract 7731, page 3.', 'Both parties sign below on April 4.', 'Keep one copy for your records.'],
];

const MIXED_PAGES = [
  { lines: ['Mixed document 5024, typed page.', 'This page has a real text layer.', 'It lists 6 items and 2 notes.'] },
  {
    scanned: true,
    lines: ['Mixed document 5024, scanned page.', 'This page is only a picture.', 'Signed by hand on October 30.'],
  },
];

const PROTECTED_PAGES = [['Confidential memo 9402.', 'The safe code changes on July 8.', 'Share it with 2 people only.']];

/** Passwords of protected.pdf; tests open it with the user password. */
const PROTECTED_USER_PASSWORD = 'secret';
const PROTECTED_OWNER_PASSWORD = 'owner';
/** Every permission bit granted: the file is protected only by needing a password to open. */
const PROTECTED_PERMISSIONS = -4;

const OWNER_ONLY_PAGES = [['Tenancy notice 3158 for Flat 4B.', 'The boiler is serviced on August 19.', 'Call the office at 555-0187.']];

/**
 * owner-only.pdf: AES-128 (revision 4) with an empty user password, so it opens without one, and only an owner
 * password guarding its permissions, all of which are denied (no printing, copying, changing or annotating).
 */
const OWNER_ONLY_OWNER_PASSWORD = 'landlord';
const NO_PERMISSIONS = -3904;

const ATTACHMENT_PAGES = [['Cover letter 6627 for the audit team.', 'The payroll table is attached.', 'Open it with the password you were sent.']];

/**
 * encrypted-attachment.pdf: only its embedded file is encrypted (the /EFF crypt filter, AES-128); strings and
 * page streams are stored as they are (Identity). Its user password guards only the attachment.
 */
const ATTACHMENT_USER_PASSWORD = 'payroll';
const ATTACHMENT_OWNER_PASSWORD = 'auditor';
const ATTACHMENT = { name: 'payroll.csv', data: Buffer.from('name,salary\nAda Whitcombe,51200\nBo Lindqvist,48900\n', 'latin1') };

/**
 * filled-form.pdf: a little page text, then form fields and annotations. What reads as the page's text: the page
 * text, the values of the visible text fields, the combo box's chosen item (its display name, not its export
 * value) and the FreeText annotation, top to bottom; not the hidden field, the check box or the sticky note. The "member since" value was flattened into the page text with its widget
 * kept (its appearance blank), so it must come out once. The town field has no appearance stream.
 */
const FORM_LINES = ['Library card application 4417', 'Please print in block letters.', 'Member since 2019'];
const FORM_ANNOTATIONS = [
  { type: 'note', contents: 'Reviewer note: check the photo ID.', rect: [396, 250, 414, 268] },
  { type: 'text-field', name: 'member_since', value: 'Member since 2019', rect: [34, 178, 300, 200], appearance: 'blank' },
  { type: 'text-field', name: 'full_name', value: 'Marguerite Okonkwo', rect: [36, 140, 300, 160] },
  { type: 'checkbox', name: 'adult', checked: true, rect: [310, 142, 326, 158] },
  { type: 'text-field', name: 'home_town', value: 'Thistlewood Crossing', rect: [36, 110, 300, 130], appearance: false },
  { type: 'text-field', name: 'office_code', value: 'Hidden office code 5531', rect: [310, 110, 420, 130], hidden: true },
  { type: 'combo', name: 'branch', options: [['N', 'North Branch'], ['R', 'Riverside Branch']], value: 'R', rect: [36, 80, 200, 100] },
  { type: 'free-text', contents: 'Approved by desk clerk Barnaby on May 3.', rect: [36, 50, 396, 74] },
];
const FORM_PAGE_TEXT = [
  ...FORM_LINES,
  'Marguerite Okonkwo',
  'Thistlewood Crossing',
  'Riverside Branch',
  'Approved by desk clerk Barnaby on May 3.',
];

const NOTES_TEXT = 'These notes are plain text, not a scanned document.\nThey list 2 reminders for next week.\n';

function write(dir, file, data) {
  const target = path.join(dir, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, data);
  return target;
}

function encodeImage({ format, width, height, fontSize, lines }) {
  return encoders[format](renderText({ width, height, fontSize, lines }));
}

function textPages(pages) {
  return { pages: pages.map((lines) => lines.join('\n')), textLayer: pages.map(() => true) };
}

function main() {
  const truth = {};
  const written = [];

  for (const image of IMAGES) {
    written.push(write(fixturesDir, image.file, encodeImage(image)));
    truth[image.file] = { pages: [image.lines.join('\n')], textLayer: [false] };
  }
  for (const image of ZIP_ONLY_IMAGES) {
    written.push(write(zipContentDir, image.file, encodeImage(image)));
    truth[image.key] = { pages: [image.lines.join('\n')], textLayer: [false] };
  }

  const bornDigital = buildPdf({
    name: 'born-digital',
    title: 'Quarterly Report 2024',
    pages: BORN_DIGITAL_PAGES.map((lines) => ({ lines })),
  });
  written.push(write(fixturesDir, 'pdfs/born-digital.pdf', bornDigital));
  truth['pdfs/born-digital.pdf'] = textPages(BORN_DIGITAL_PAGES);

  const scanned = buildPdf({
    name: 'scanned',
    title: 'Scanned contract 7731',
    pages: SCANNED_PAGES.map((lines) => ({ jpeg: renderScannedPage(lines) })),
  });
  written.push(write(fixturesDir, 'pdfs/scanned.pdf', scanned));
  truth['pdfs/scanned.pdf'] = { pages: SCANNED_PAGES.map((l) => l.join('\n')), textLayer: SCANNED_PAGES.map(() => false) };

  const mixed = buildPdf({
    name: 'mixed',
    title: 'Mixed document 5024',
    pages: MIXED_PAGES.map((p) => (p.scanned ? { jpeg: renderScannedPage(p.lines) } : { lines: p.lines })),
  });
  written.push(write(fixturesDir, 'pdfs/mixed.pdf', mixed));
  truth['pdfs/mixed.pdf'] = {
    pages: MIXED_PAGES.map((p) => p.lines.join('\n')),
    textLayer: MIXED_PAGES.map((p) => !p.scanned),
  };

  const security = createStandardSecurity({
    userPassword: PROTECTED_USER_PASSWORD,
    ownerPassword: PROTECTED_OWNER_PASSWORD,
    permissions: PROTECTED_PERMISSIONS,
    fileId: fileIdFor('protected'),
    revision: 3,
  });
  const protectedPdf = buildPdf({
    name: 'protected',
    title: 'Confidential memo 9402',
    pages: PROTECTED_PAGES.map((lines) => ({ lines })),
    security,
  });
  written.push(write(fixturesDir, 'pdfs/protected.pdf', protectedPdf));
  truth['pdfs/protected.pdf'] = { error: 'PDF_PASSWORD_PROTECTED' };

  const ownerOnly = buildPdf({
    name: 'owner-only',
    title: 'Tenancy notice 3158',
    pages: OWNER_ONLY_PAGES.map((lines) => ({ lines })),
    security: createCryptFilterSecurity({
      userPassword: '',
      ownerPassword: OWNER_ONLY_OWNER_PASSWORD,
      permissions: NO_PERMISSIONS,
      fileId: fileIdFor('owner-only'),
    }),
    version: '1.6',
  });
  written.push(write(fixturesDir, 'pdfs/owner-only.pdf', ownerOnly));
  truth['pdfs/owner-only.pdf'] = textPages(OWNER_ONLY_PAGES);

  const encryptedAttachment = buildPdf({
    name: 'encrypted-attachment',
    title: 'Cover letter 6627',
    pages: ATTACHMENT_PAGES.map((lines) => ({ lines })),
    attachments: [ATTACHMENT],
    security: createCryptFilterSecurity({
      userPassword: ATTACHMENT_USER_PASSWORD,
      ownerPassword: ATTACHMENT_OWNER_PASSWORD,
      permissions: PROTECTED_PERMISSIONS,
      fileId: fileIdFor('encrypted-attachment'),
      strings: 'Identity',
      streams: 'Identity',
      embeddedFiles: 'AESV2',
      authEvent: 'EFOpen',
    }),
    version: '1.6',
  });
  written.push(write(fixturesDir, 'pdfs/encrypted-attachment.pdf', encryptedAttachment));
  truth['pdfs/encrypted-attachment.pdf'] = textPages(ATTACHMENT_PAGES);

  const filledForm = buildPdf({
    name: 'filled-form',
    title: 'Library card application 4417',
    pages: [{ lines: FORM_LINES, annotations: FORM_ANNOTATIONS }],
  });
  written.push(write(fixturesDir, 'pdfs/filled-form.pdf', filledForm));
  truth['pdfs/filled-form.pdf'] = textPages([FORM_PAGE_TEXT]);

  written.push(write(fixturesDir, 'pdfs/corrupt.pdf', buildCorruptPdf()));
  truth['pdfs/corrupt.pdf'] = { error: 'PDF_INVALID' };

  written.push(write(fixturesDir, 'misc/notes.txt', NOTES_TEXT));
  truth['misc/notes.txt'] = { skipped: 'UNSUPPORTED_TYPE' };

  const sorted = Object.fromEntries(Object.keys(truth).sort().map((key) => [key, truth[key]]));
  written.push(write(fixturesDir, 'ground-truth.json', `${JSON.stringify(sorted, null, 2)}\n`));

  for (const file of written) {
    console.log(`${path.relative(root, file)}  ${fs.statSync(file).size} bytes`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
