import { StepAt, parseChoice } from './params';

/** Qiniu's nine anchors, as its tables draw them. */
export const gravities = [
  'NorthWest',
  'North',
  'NorthEast',
  'West',
  'Center',
  'East',
  'SouthWest',
  'South',
  'SouthEast',
] as const;

/** An anchor of the 3×3 grid: where a crop or a watermark sits. */
export type Gravity = (typeof gravities)[number];

// Lower-case spellings (`southeast`) are common in hand-written URLs and in Tencent's copy of the API.
const gravityAliases: Readonly<Record<string, Gravity>> = Object.freeze(
  Object.fromEntries(gravities.map((gravity) => [gravity.toLowerCase(), gravity])),
);

/** Parses a gravity name; CamelCase as documented, or all lower-case. */
export function parseGravity(at: StepAt, label: string, token: string): Gravity {
  return parseChoice(at, label, token, gravities, gravityAliases);
}
