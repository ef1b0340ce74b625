import { FopSyntaxError } from './errors';

/** Where a token sits, so every message can name the command and the 1-based step. */
export interface StepAt {
  command: string;
  stepIndex: number;
}

/** Longest token echoed in a message, in characters; a 4 KB token must not flood logs. */
const maxShownTokenChars = 40;

// Plain ASCII digits only: signs, dots, exponents and hex are all rejected. Leading zeros are
// accepted (Qiniu's Go backend reads numbers with strconv.Atoi) and vanish from canonical text.
const decimalInteger = /^[0-9]+$/;

/** Quotes a token for a message, cut after 40 characters. */
export function quoteToken(token: string): string {
  const chars = Array.from(token);
  if (chars.length <= maxShownTokenChars) return `'${token}'`;
  return `'${chars.slice(0, maxShownTokenChars).join('')}…'`;
}

/** Builds the error for a bad token inside a step: `<command>: <problem> (step N)`. */
export function stepError(at: StepAt, problem: string, token?: string): FopSyntaxError {
  return new FopSyntaxError(`${at.command}: ${problem} (step ${at.stepIndex})`, token, at.stepIndex);
}

/** How messages name a named parameter: `parameter 'w'`. */
export function paramLabel(name: string): string {
  return `parameter ${quoteToken(name)}`;
}

function isOneOf<T extends string>(value: string, choices: readonly T[]): value is T {
  return (choices as readonly string[]).includes(value);
}

/**
 * Reads `name/value/name/value...` in any order into a map; rejects an unknown name,
 * a repeated name and a name without a value.
 */
export function readNamedParams<N extends string>(
  at: StepAt,
  tokens: readonly string[],
  names: readonly N[],
): Map<N, string> {
  const values = new Map<N, string>();
  for (let i = 0; i < tokens.length; i += 2) {
    const name = tokens[i];
    if (!isOneOf(name, names)) {
      throw stepError(at, `unknown ${paramLabel(name)}; expected one of ${nameList(names)}`, name);
    }
    if (values.has(name)) throw stepError(at, `${paramLabel(name)} is given more than once`, name);
    if (i + 1 >= tokens.length) throw stepError(at, `${paramLabel(name)} has no value`, name);
    values.set(name, tokens[i + 1]);
  }
  return values;
}

/** Longest list of names an error spells out, in characters: an error stays a line, not a manual. */
const maxNameListChars = 240;

function nameList(names: readonly string[]): string {
  const all = names.join(', ');
  if (all.length <= maxNameListChars) return all;
  const cut = all.lastIndexOf(', ', maxNameListChars);
  return `${all.slice(0, cut)}, … (${names.length} in all)`;
}

function describeRange(min: number, max: number): string {
  if (min === max) return `${min}`;
  if (max === min + 1) return `${min} or ${max}`;
  return `an integer from ${min} to ${max}`;
}

function toIntegerInRange(token: string, min: number, max: number): number | undefined {
  if (!decimalInteger.test(token)) return undefined;
  const value = Number(token);
  return value >= min && value <= max ? value : undefined;
}

/** Parses a decimal integer within [min, max]; `label` names it, e.g. paramLabel('w') or 'mode'. */
export function parseInteger(at: StepAt, label: string, token: string, min: number, max: number): number {
  const value = toIntegerInRange(token, min, max);
  if (value === undefined) {
    throw stepError(at, `${label} must be ${describeRange(min, max)}, got ${quoteToken(token)}`, token);
  }
  return value;
}

/** Parses `<n>` or `<n>!` (Qiniu's "force" suffix, as in `q/90!`) with n within [min, max]. */
export function parseForcedInteger(
  at: StepAt,
  label: string,
  token: string,
  min: number,
  max: number,
): { value: number; forced: boolean } {
  const forced = token.endsWith('!');
  const value = toIntegerInRange(forced ? token.slice(0, -1) : token, min, max);
  if (value === undefined) {
    const expected = `${describeRange(min, max)}, optionally followed by '!'`;
    throw stepError(at, `${label} must be ${expected}, got ${quoteToken(token)}`, token);
  }
  return { value, forced };
}

/** Parses a Qiniu on/off switch: `0` → false, `1` → true. */
export function parseFlag(at: StepAt, label: string, token: string): boolean {
  return parseInteger(at, label, token, 0, 1) === 1;
}

/** Parses one of a fixed set of words; `aliases` maps accepted spellings to their canonical word. */
export function parseChoice<T extends string>(
  at: StepAt,
  label: string,
  token: string,
  choices: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T {
  if (isOneOf(token, choices)) return token;
  if (Object.hasOwn(aliases, token)) return aliases[token];
  throw stepError(at, `${label} must be one of ${choices.join(', ')}, got ${quoteToken(token)}`, token);
}

/** Rejects any token, for commands that take no parameters (imageInfo, avinfo, exif...). */
export function expectNoTokens(at: StepAt, tokens: readonly string[]): void {
  if (tokens.length > 0) {
    throw stepError(at, `takes no parameters, got ${quoteToken(tokens[0])}`, tokens[0]);
  }
}
