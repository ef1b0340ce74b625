import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument, Scalar } from 'yaml';
import { UfopManifestError } from '../ufop.errors';

/** Base images a UFOP may start FROM when the config gives no list: the ones docker/base-image.sh builds. */
export const DEFAULT_UFOP_BASE_IMAGES: readonly string[] = ['fopflow/debian:bookworm', 'fopflow/node:20', 'fopflow/ffmpeg:latest'];

/** Largest ufop.yaml read, in bytes: the file is a few lines; anything bigger is a mistake. */
export const DEFAULT_MAX_MANIFEST_BYTES = 64 * 1024;

/** What a valid ufop.yaml says. */
export interface UfopManifest {
  /** Base image, one of the allowed bases. */
  image: string;
  /** Shell lines run as root at build time, in order, each in `$RESOURCE`. */
  buildScript: string[];
  /** 1-based ufop.yaml line of each buildScript entry, so a failing step can be named by its line. */
  buildScriptLines: number[];
  /** The command that serves on port 9100, run by /bin/sh as the unprivileged user. */
  run: string;
}

export interface UfopManifestOptions {
  /** Base images allowed in `image:` (default DEFAULT_UFOP_BASE_IMAGES). */
  allowedImages?: readonly string[];
  /** Largest manifest accepted, in bytes (default DEFAULT_MAX_MANIFEST_BYTES). */
  maxManifestBytes?: number;
}

const KNOWN_KEYS = ['image', 'build_script', 'run'];

/**
 * Parses and validates ufop.yaml text. Every error names the line (from the yaml library's own
 * source positions, not a guess) and the field, because the user edits the file by line.
 */
export function parseUfopManifest(text: string, options: UfopManifestOptions = {}): UfopManifest {
  const allowedImages = options.allowedImages ?? DEFAULT_UFOP_BASE_IMAGES;
  const maxBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  if (Buffer.byteLength(text) > maxBytes) throw new UfopManifestError(`is larger than ${maxBytes} bytes`);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const lineOf = (node: Node | null | undefined): number | undefined => lineAt(node?.range?.[0]);

  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // The library's message repeats the position and a code excerpt; the first line is the cause.
    throw new UfopManifestError(`not valid YAML: ${first.message.split('\n')[0]}`, lineAt(first.pos[0]));
  }
  const root = doc.contents;
  if (!isMap(root)) throw new UfopManifestError('must be a mapping with image, build_script and run', lineOf(root) ?? 1);

  const fields = new Map<string, { node: Node | null; line?: number }>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    const keyLine = lineOf(pair.key as Node);
    if (typeof key !== 'string' || !KNOWN_KEYS.includes(key)) {
      throw new UfopManifestError(`unknown key '${String(key)}' (allowed: ${KNOWN_KEYS.join(', ')})`, keyLine, String(key));
    }
    fields.set(key, { node: pair.value as Node | null, line: keyLine });
  }

  const image = requiredString(fields, 'image', root.range ? lineAt(root.range[0]) : 1);
  if (!allowedImages.includes(image.value)) {
    throw new UfopManifestError(`image '${image.value}' is not an allowed base (allowed: ${allowedImages.join(', ')})`, image.line, 'image');
  }
  const run = requiredString(fields, 'run', root.range ? lineAt(root.range[0]) : 1);

  const buildScript: string[] = [];
  const buildScriptLines: number[] = [];
  const script = fields.get('build_script');
  // `build_script:` with nothing after it is null: the same as an empty list.
  if (script && !(isScalar(script.node) && script.node.value === null) && script.node !== null) {
    if (!isSeq(script.node)) {
      throw new UfopManifestError('build_script must be a list of shell lines', lineOf(script.node) ?? script.line, 'build_script');
    }
    script.node.items.forEach((item, index) => {
      const field = `build_script[${index}]`;
      const line = lineOf(item as Node) ?? script.line;
      if (!isScalar(item) || typeof item.value !== 'string') {
        throw new UfopManifestError(`${field} must be a string, got ${describe(item)}`, line, field);
      }
      // Lines are joined into one RUN: a newline would end the Dockerfile instruction early.
      if (/[\r\n]/.test(item.value)) throw new UfopManifestError(`${field} must be one line (no newline)`, line, field);
      if (item.value.trim() === '') throw new UfopManifestError(`${field} is empty`, line, field);
      buildScript.push(item.value);
      buildScriptLines.push(line ?? 0);
    });
  }
  return { image: image.value, buildScript, buildScriptLines, run: run.value };

  function requiredString(
    all: Map<string, { node: Node | null; line?: number }>,
    key: string,
    fallbackLine: number | undefined,
  ): { value: string; line?: number } {
    const field = all.get(key);
    if (!field) throw new UfopManifestError(`missing required key '${key}'`, fallbackLine, key);
    const node = field.node;
    const line = lineOf(node) ?? field.line;
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
      throw new UfopManifestError(`${key} must be a non-empty string, got ${describe(node)}`, line, key);
    }
    return { value: (node as Scalar<string>).value.trim(), line };
  }
}

/** A short name for what the user wrote instead, for error messages. */
function describe(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return node.value === null ? 'nothing' : typeof node.value === 'string' ? 'an empty string' : `${typeof node.value} ${String(node.value)}`;
  return 'nothing';
}
