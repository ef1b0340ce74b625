/** Characters a bucket may join keys and style names with: the ones Qiniu's pages show in URLs. */
export const styleSeparatorChoices = '-_!/@';

/** A bucket's separator until its owner sets one (Qiniu's default). */
export const defaultStyleSeparator = '-';

/** Most styles one bucket holds: each lives in the bucket's settings, read on every styled request. */
export const maxStylesPerBucket = 100;

/** Longest style name, in characters. */
export const maxStyleNameChars = 64;

/** Longest fops text of a style, in characters (a fop URL's query is bounded the same way). */
export const maxStyleFopsChars = 2048;

/** Letters, digits and the URL-safe marks `.`, `-`, `_`; a name never holds one of its bucket's separators. */
const styleNamePattern = /^(?!\.+$)[A-Za-z0-9._-]+$/;

/** The bucket's separators, or the default when it set none. */
export function separatorsOf(bucket: { separator?: string }): string {
  return bucket.separator || defaultStyleSeparator;
}

/** Why `separator` cannot be a bucket's separator set, or undefined when it can. */
export function separatorProblem(separator: string): string | undefined {
  const chars = [...separator];
  if (chars.length === 0 || chars.some((char) => !styleSeparatorChoices.includes(char)) || new Set(chars).size !== chars.length) {
    return `separator must be one or more distinct characters of '${styleSeparatorChoices}', got '${separator.slice(0, 20)}'`;
  }
  return undefined;
}

/** Why `name` cannot name a style of a bucket joining with `separators`, or undefined when it can. */
export function styleNameProblem(name: string, separators: string): string | undefined {
  if (name.length === 0 || name.length > maxStyleNameChars || !styleNamePattern.test(name)) {
    return `style name must be 1 to ${maxStyleNameChars} letters, digits, '.', '-' or '_', got '${name.slice(0, maxStyleNameChars)}'`;
  }
  const clash = [...separators].find((char) => name.includes(char));
  if (clash) return `style name '${name}' holds '${clash}', one of the bucket's separators '${separators}': a URL could not tell key from style`;
  return undefined;
}

/** A key of a URL read as `<source key><separator><style name>`. */
export interface StyledKey {
  sourceKey: string;
  style: string;
  fops: string;
}

/**
 * Reads `key` as a source key plus a style, as Qiniu does: the text after the key's last separator
 * is the style name (a name holds no separator, so only the last one can start it). Undefined
 * when the key holds no separator or the text after it names no style of the bucket. Whether an
 * object stored under the whole key wins is the caller's decision (it does: see StyleResolver).
 */
export function splitStyledKey(key: string, bucket: { separator?: string; styles?: Record<string, string> }): StyledKey | undefined {
  const styles = bucket.styles;
  if (!styles) return undefined;
  const separators = separatorsOf(bucket);
  let at = -1;
  for (const char of separators) at = Math.max(at, key.lastIndexOf(char));
  if (at <= 0) return undefined;
  const style = key.slice(at + 1);
  if (!Object.hasOwn(styles, style)) return undefined;
  return { sourceKey: key.slice(0, at), style, fops: styles[style] };
}
