// Annotations for the fixture PDFs: AcroForm fields (text fields, check boxes) as widget annotations, FreeText
// annotations and sticky notes. Appearance streams draw with the document's Helvetica, named /Helv.
import { PdfStream, escapeLiteral, pdfString } from './pdf-writer.mjs';

/** Annotation flags (/F). */
const HIDDEN = 2;
const PRINT = 4;
export const FIELD_FONT_SIZE = 12;

function appearance(writer, rect, content, fontRef) {
  const [x1, y1, x2, y2] = rect;
  const resources = fontRef ? { Font: { Helv: fontRef } } : {};
  return writer.add(
    new PdfStream(
      { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, x2 - x1, y2 - y1], Resources: resources },
      Buffer.from(content, 'latin1'),
    ),
  );
}

/** One line of text drawn left-aligned and vertically centred in a box `height` points high. */
function textAppearance(text, height) {
  const baseline = ((height - FIELD_FONT_SIZE) / 2 + FIELD_FONT_SIZE * 0.22).toFixed(2);
  return `BT\n/Helv ${FIELD_FONT_SIZE} Tf\n0 g\n2 ${baseline} Td\n(${escapeLiteral(text)}) Tj\nET\n`;
}

/**
 * Adds one annotation for `pageRef` and returns `{ ref, field }`; `field` is true for form fields, which the
 * caller lists in the AcroForm. Specs:
 * - { type: 'text-field', name, value, rect, hidden?, appearance? }: `appearance` true (default) draws the value,
 *   false leaves the appearance stream out (readers draw the value themselves), 'blank' draws nothing (the
 *   value was flattened into the page content and the widget kept)
 * - { type: 'combo', name, options: [[exportValue, displayName]...], value: exportValue, rect }
 * - { type: 'checkbox', name, checked, rect }
 * - { type: 'free-text', contents, rect }
 * - { type: 'note', contents, rect }: a sticky-note comment
 */
export function addAnnotation(writer, spec, { pageRef, fontRef }) {
  const { rect } = spec;
  const height = rect[3] - rect[1];
  const base = { Type: 'Annot', Rect: rect, P: pageRef, F: PRINT };
  switch (spec.type) {
    case 'text-field': {
      const widget = {
        ...base,
        Subtype: 'Widget',
        F: spec.hidden ? PRINT | HIDDEN : PRINT,
        FT: 'Tx',
        T: pdfString(spec.name),
        V: pdfString(spec.value),
        DA: pdfString(`/Helv ${FIELD_FONT_SIZE} Tf 0 g`),
      };
      if (spec.appearance !== false) {
        const drawn = spec.appearance === 'blank' ? '' : `q\n${textAppearance(spec.value, height)}Q\n`;
        widget.AP = { N: appearance(writer, rect, `/Tx BMC\n${drawn}EMC\n`, fontRef) };
      }
      return { ref: writer.add(widget), field: true };
    }
    case 'combo': {
      const chosen = spec.options.find(([exportValue]) => exportValue === spec.value);
      const content = `/Tx BMC\nq\n${textAppearance(chosen[1], height)}Q\nEMC\n`;
      const ref = writer.add({
        ...base,
        Subtype: 'Widget',
        FT: 'Ch',
        Ff: 1 << 17, // Combo
        T: pdfString(spec.name),
        Opt: spec.options.map(([exportValue, displayName]) => [pdfString(exportValue), pdfString(displayName)]),
        V: pdfString(spec.value),
        DA: pdfString(`/Helv ${FIELD_FONT_SIZE} Tf 0 g`),
        AP: { N: appearance(writer, rect, content, fontRef) },
      });
      return { ref, field: true };
    }
    case 'checkbox': {
      const width = rect[2] - rect[0];
      const on = appearance(writer, rect, `0 g\n3 3 ${width - 6} ${height - 6} re\nf\n`);
      const off = appearance(writer, rect, '');
      const state = spec.checked ? 'Yes' : 'Off';
      const ref = writer.add({
        ...base,
        Subtype: 'Widget',
        FT: 'Btn',
        T: pdfString(spec.name),
        V: state,
        AS: state,
        AP: { N: { Yes: on, Off: off } },
      });
      return { ref, field: true };
    }
    case 'free-text': {
      const content = `q\n${textAppearance(spec.contents, height)}Q\n`;
      const ref = writer.add({
        ...base,
        Subtype: 'FreeText',
        Contents: pdfString(spec.contents),
        DA: pdfString(`/Helv ${FIELD_FONT_SIZE} Tf 0 g`),
        AP: { N: appearance(writer, rect, content, fontRef) },
      });
      return { ref, field: false };
    }
    case 'note':
      return {
        ref: writer.add({ ...base, Subtype: 'Text', Contents: pdfString(spec.contents), Name: 'Comment' }),
        field: false,
      };
    default:
      throw new Error(`unknown annotation type ${spec.type}`);
  }
}
