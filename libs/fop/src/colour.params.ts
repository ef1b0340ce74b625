import { decodeBase64Text, encodeBase64Text } from './encoded.params';
import { StepAt, quoteToken, stepError } from './params';

/** An sRGB colour with alpha, each channel 0–255 (a = 255 is opaque). */
export interface Colour {
  r: number;
  g: number;
  b: number;
  a: number;
}

const opaque = (r: number, g: number, b: number): Colour => ({ r, g, b, a: 255 });

/** The colour names Qiniu documents for imageMogr2 `background` (note its gray is #7E7E7E). */
export const colourNames: Readonly<Record<string, Colour>> = Object.freeze({
  transparent: { r: 0, g: 0, b: 0, a: 0 },
  none: { r: 0, g: 0, b: 0, a: 0 },
  white: opaque(255, 255, 255),
  black: opaque(0, 0, 0),
  red: opaque(255, 0, 0),
  orange: opaque(255, 165, 0),
  yellow: opaque(255, 255, 0),
  green: opaque(0, 128, 0),
  blue: opaque(0, 0, 255),
  purple: opaque(128, 0, 128),
  gray: opaque(126, 126, 126),
  pink: opaque(255, 192, 203),
});

const hexColour = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** Reads `#RGB`, `#RGBA`, `#RRGGBB`, `#RRGGBBAA` (any case) or one of colourNames. */
export function parseColourText(text: string): Colour | undefined {
  if (Object.hasOwn(colourNames, text)) return { ...colourNames[text] };
  const match = hexColour.exec(text);
  if (!match) return undefined;
  let digits = match[1];
  if (digits.length <= 4) digits = Array.from(digits, (d) => d + d).join('');
  const byte = (i: number) => parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return { r: byte(0), g: byte(1), b: byte(2), a: digits.length === 8 ? byte(3) : 255 };
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/**
 * The shortest spelling of a colour (a name, `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`), so that the
 * canonical text of a fop is never longer than what the client wrote.
 */
export function formatColourText(colour: Colour): string {
  const { r, g, b, a } = colour;
  const candidates = Object.entries(colourNames)
    .filter(([, c]) => c.r === r && c.g === g && c.b === b && c.a === a)
    .map(([name]) => name);
  const bytes = a === 255 ? [r, g, b] : [r, g, b, a];
  if (bytes.every((n) => n % 17 === 0)) candidates.push(`#${bytes.map((n) => (n / 17).toString(16).toUpperCase()).join('')}`);
  candidates.push(`#${bytes.map(hex2).join('')}`);
  return candidates.reduce((best, next) => (next.length < best.length ? next : best));
}

/** Parses a URL-safe base64 colour token; the message lists the accepted spellings. */
export function parseEncodedColour(at: StepAt, label: string, token: string): Colour {
  const spellings = `#RGB, #RRGGBB, #RRGGBBAA or one of ${Object.keys(colourNames).join(', ')}`;
  const colour = parseColourText(decodeBase64Text(at, label, token, `a colour (${spellings})`, 20));
  if (colour === undefined) throw stepError(at, `${label} must be URL-safe base64 of ${spellings}, got ${quoteToken(token)}`, token);
  return colour;
}

/** Canonical token of a colour: URL-safe base64 of its shortest spelling. */
export function formatEncodedColour(colour: Colour): string {
  return encodeBase64Text(formatColourText(colour));
}

/** True when both colours are the same RGBA value. */
export function sameColour(a: Colour, b: Colour): boolean {
  return a.r === b.r && a.g === b.g && a.b === b.b && a.a === b.a;
}
