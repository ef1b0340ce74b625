import type { TextMark } from '@fopflow/fop';
import sharp from 'sharp';
import type { Size } from './gravity.placement';
import { MediaError } from './media.errors';

/** Family asked of fontconfig when a mark names none; fontconfig maps it to an installed font. */
export const defaultFontFamily = 'sans-serif';

const markupEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeMarkup = (text: string) => text.replace(/[&<>"']/g, (c) => markupEscapes[c]);
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Qiniu's font size unit: a twip is 1/20 pt; rendered at 72 dpi a point is a pixel. */
export function fontSizePx(mark: TextMark): number {
  return mark.fontSize / 20;
}

/** Pango markup for a mark: the text escaped, never interpreted, inside one styled span. */
export function textMarkup(mark: TextMark): string {
  const { r, g, b, a } = mark.fill;
  const attributes = [
    `font_family="${escapeMarkup(mark.font ?? defaultFontFamily)}"`,
    // Pango sizes are in 1024ths of a point.
    `size="${Math.round(fontSizePx(mark) * 1024)}"`,
    `foreground="#${hex2(r)}${hex2(g)}${hex2(b)}"`,
    `fgalpha="${Math.max(1, Math.round((a / 255) * 65535))}"`,
  ];
  return `<span ${attributes.join(' ')}>${escapeMarkup(mark.text)}</span>`;
}

/**
 * Renders a text mark to a PNG with alpha. Pango picks the font through fontconfig, which falls
 * back to its default family when the named one is not installed, so an unknown font still
 * renders. A text whose rough extent (characters × size) exceeds `maxPixels` is refused before
 * rendering: it could not fit on any result anyway.
 */
export async function renderTextMark(mark: TextMark, maxPixels: number): Promise<{ data: Buffer } & Size> {
  const px = fontSizePx(mark);
  const lines = mark.text.split('\n');
  const longest = Math.max(...lines.map((line) => Array.from(line).length));
  const estimated = Math.ceil(longest * px) * Math.ceil(lines.length * px * 1.5);
  if (estimated > maxPixels) {
    throw new MediaError(413, `watermark text would cover about ${estimated} pixels, over maxOutputPixels ${maxPixels}`);
  }
  const { data, info } = await sharp({ text: { text: textMarkup(mark), rgba: true, dpi: 72 } })
    .png()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
