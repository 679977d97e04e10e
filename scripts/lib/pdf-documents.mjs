// Builds the fixture PDFs: small pages carrying either a Helvetica text layer or one full-page JPEG, optionally
// with annotations (form fields, FreeText, notes) and embedded files.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { addAnnotation } from './pdf-forms.mjs';
import { PdfStream, PdfWriter, escapeLiteral, pdfString } from './pdf-writer.mjs';
import { LINE_SPACING, renderText } from './text-canvas.mjs';

/** 6 x 4 in, so that rendering at 300 DPI gives 1800 x 1200 px. */
export const PAGE_WIDTH = 432;
export const PAGE_HEIGHT = 288;
export const PAGE_MARGIN = 36;
export const PAGE_FONT_SIZE = 18;
/** Resolution of the "scanned" page images. */
export const SCAN_DPI = 200;
export const SCAN_JPEG_QUALITY = 70;

/** A fixed 16-byte file identifier derived from a name, so every run writes the same /ID. */
export function fileIdFor(name) {
  return createHash('md5').update(`ocrq fixture ${name}`).digest();
}

/** Width, height and component count from a JPEG's start-of-frame marker. */
export function readJpegInfo(jpeg) {
  let at = 2;
  while (at + 9 < jpeg.length) {
    if (jpeg[at] !== 0xff) throw new Error('malformed JPEG marker');
    const marker = jpeg[at + 1];
    const length = jpeg.readUInt16BE(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7), components: jpeg[at + 9] };
    }
    at += 2 + length;
  }
  throw new Error('JPEG has no start-of-frame marker');
}

/** The page image of a "scanned" page: the same layout as a text page, rasterised at SCAN_DPI. */
export function renderScannedPage(lines) {
  const scale = SCAN_DPI / 72;
  const canvas = renderText({
    width: Math.round(PAGE_WIDTH * scale),
    height: Math.round(PAGE_HEIGHT * scale),
    fontSize: Math.round(PAGE_FONT_SIZE * scale),
    margin: Math.round(PAGE_MARGIN * scale),
    lines,
  });
  return canvas.toBuffer('image/jpeg', SCAN_JPEG_QUALITY);
}

/** The fixtures' page: 6 x 4 in, 18 pt text. Other corpora (the benchmarks) pass their own. */
export const FIXTURE_PAGE = { width: PAGE_WIDTH, height: PAGE_HEIGHT, margin: PAGE_MARGIN, fontSize: PAGE_FONT_SIZE };

function textContent(lines, page) {
  const firstBaseline = page.height - page.margin - page.fontSize;
  const ops = ['BT', `/F1 ${page.fontSize} Tf`, `${(page.fontSize * LINE_SPACING).toFixed(1)} TL`, `${page.margin} ${firstBaseline} Td`];
  lines.forEach((line, i) => {
    if (i > 0) ops.push('T*');
    ops.push(`(${escapeLiteral(line)}) Tj`);
  });
  ops.push('ET');
  return `${ops.join('\n')}\n`;
}

/**
 * `pages`: [{ lines }] for a text page, [{ jpeg }] or [{ gray: { width, height, data } }] (8-bit grey pixels) for an
 * image-only page; any may carry `annotations`
 * (specs as in pdf-forms.mjs addAnnotation), in the order they are listed in the page's /Annots.
 * `attachments`: optional [{ name, data }], embedded files listed in the document's /EmbeddedFiles.
 * `security`: optional createStandardSecurity() or createCryptFilterSecurity() result built with fileIdFor(name).
 * `page`: the page geometry in points (default FIXTURE_PAGE); `producer`: the Info Producer; `version`: the
 * header's PDF version.
 */
export function buildPdf({
  name,
  title,
  pages,
  attachments = [],
  security,
  page: geometry = FIXTURE_PAGE,
  producer = 'ocrq fixtures',
  version,
}) {
  const writer = new PdfWriter();
  const catalogRef = writer.reserve();
  const pagesRef = writer.reserve();
  const fontRef = writer.add({ Type: 'Font', Subtype: 'Type1', BaseFont: 'Helvetica', Encoding: 'WinAnsiEncoding' });
  const fields = [];
  const kids = pages.map((page) => {
    const resources = {};
    let content;
    if (page.gray) {
      // Lossless: 8-bit grey pixels, deflated, so a reader gets exactly the pixels it was given.
      const { width, height, data } = page.gray;
      const imageRef = writer.add(
        new PdfStream(
          { Type: 'XObject', Subtype: 'Image', Width: width, Height: height, ColorSpace: 'DeviceGray', BitsPerComponent: 8, Filter: 'FlateDecode' },
          deflateSync(data),
        ),
      );
      resources.XObject = { Im1: imageRef };
      content = `q\n${geometry.width} 0 0 ${geometry.height} 0 0 cm\n/Im1 Do\nQ\n`;
    } else if (page.jpeg) {
      const { width, height, components } = readJpegInfo(page.jpeg);
      const imageRef = writer.add(
        new PdfStream(
          {
            Type: 'XObject',
            Subtype: 'Image',
            Width: width,
            Height: height,
            ColorSpace: components === 1 ? 'DeviceGray' : 'DeviceRGB',
            BitsPerComponent: 8,
            Filter: 'DCTDecode',
          },
          page.jpeg,
        ),
      );
      resources.XObject = { Im1: imageRef };
      content = `q\n${geometry.width} 0 0 ${geometry.height} 0 0 cm\n/Im1 Do\nQ\n`;
    } else {
      resources.Font = { F1: fontRef };
      content = textContent(page.lines, geometry);
    }
    const contentRef = writer.add(new PdfStream({}, Buffer.from(content, 'latin1')));
    const pageRef = writer.reserve();
    const pageDict = {
      Type: 'Page',
      Parent: pagesRef,
      MediaBox: [0, 0, geometry.width, geometry.height],
      Resources: resources,
      Contents: contentRef,
    };
    if (page.annotations?.length) {
      pageDict.Annots = page.annotations.map((spec) => {
        const { ref, field } = addAnnotation(writer, spec, { pageRef, fontRef });
        if (field) fields.push(ref);
        return ref;
      });
    }
    writer.set(pageRef, pageDict);
    return pageRef;
  });
  writer.set(pagesRef, { Type: 'Pages', Kids: kids, Count: kids.length });
  const catalog = { Type: 'Catalog', Pages: pagesRef };
  if (fields.length) {
    catalog.AcroForm = { Fields: fields, DA: pdfString('/Helv 0 Tf 0 g'), DR: { Font: { Helv: fontRef } } };
  }
  if (attachments.length) {
    const names = attachments.flatMap(({ name: fileName, data }) => {
      const fileRef = writer.add(new PdfStream({ Type: 'EmbeddedFile', Params: { Size: data.length } }, data));
      const spec = writer.add({ Type: 'Filespec', F: pdfString(fileName), UF: pdfString(fileName), EF: { F: fileRef } });
      return [pdfString(fileName), spec];
    });
    catalog.Names = { EmbeddedFiles: { Names: names } };
  }
  writer.set(catalogRef, catalog);
  const info = writer.add({ Title: pdfString(title), Producer: pdfString(producer) });
  return writer.toBuffer({ root: catalogRef, info, fileId: fileIdFor(name), security, version });
}
