import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';

/** What an upload knows about itself: the values of Qiniu's magic variables. */
export interface UploadFacts {
  bucket: string;
  /** Absent while the key itself is being made from saveKey. */
  key?: string;
  etag: string;
  fsize: number;
  mimeType: string;
  /** The file's name as the uploader sent it. */
  fname: string;
  endUser?: string;
  persistentId?: string;
  /** `x:<name>` variables of the upload, by their full name. */
  vars: Record<string, string>;
  /** When the upload arrived; $(year)… are taken from it in UTC. */
  at: Date;
  /** The stored object's imageInfo / exif JSON, read when a template names them. */
  imageInfo?: Record<string, unknown>;
  exif?: Record<string, unknown>;
}

/** The media facts a template names (`$(imageInfo)`, `$(imageInfo.width)`, `$(exif…)`): only those are worked out. */
export function namedMediaFacts(...templates: Array<string | undefined>): Array<'imageInfo' | 'exif'> {
  const text = templates.join('\n');
  return (['imageInfo', 'exif'] as const).filter((name) => new RegExp(`\\$\\(${name}[.)]`).test(text));
}

/** How substituted values are written into the text. */
export type Escaping = 'raw' | 'json' | 'form';

const VARIABLE = /\$\(([A-Za-z0-9_.:-]+)\)/g;

/** The value of one magic variable, or undefined when the upload has no such thing. */
export function magicValue(name: string, facts: UploadFacts): string | number | JsonText | undefined {
  if (name.startsWith('x:')) return facts.vars[name];
  const [root, ...path] = name.split('.');
  if (root === 'imageInfo' || root === 'exif') return mediaValue(facts[root], path);
  const pad = (n: number) => String(n).padStart(2, '0');
  const ext = extname(facts.fname);
  switch (name) {
    case 'bucket':
      return facts.bucket;
    case 'key':
      return facts.key;
    case 'etag':
    case 'hash':
      return facts.etag;
    case 'fsize':
      return facts.fsize;
    case 'mimeType':
      return facts.mimeType;
    case 'fname':
      return facts.fname;
    case 'fprefix':
      return ext ? facts.fname.slice(0, -ext.length) : facts.fname;
    case 'ext':
      return ext;
    case 'endUser':
      return facts.endUser;
    case 'persistentId':
      return facts.persistentId;
    case 'uuid':
      return randomUUID();
    case 'year':
      return String(facts.at.getUTCFullYear());
    case 'mon':
      return pad(facts.at.getUTCMonth() + 1);
    case 'day':
      return pad(facts.at.getUTCDate());
    case 'hour':
      return pad(facts.at.getUTCHours());
    case 'min':
      return pad(facts.at.getUTCMinutes());
    case 'sec':
      return pad(facts.at.getUTCSeconds());
    default:
      return undefined;
  }
}

/** A whole media fact as JSON, or one field of it (`imageInfo.width`, `exif.Make.val`). */
function mediaValue(fact: Record<string, unknown> | undefined, path: string[]): string | number | JsonText | undefined {
  let value: unknown = fact;
  for (const part of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return new JsonText(JSON.stringify(value));
  return typeof value === 'number' ? value : String(value);
}

/** A value that is JSON already: inside a JSON template it stands as it is, not as a string. */
class JsonText {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/**
 * Replaces every `$(name)` in `template`. Unknown names and absent values become empty, as at
 * Qiniu. `json` escapes strings for a place inside JSON quotes; `form` URL-encodes them.
 */
export function expandMagic(template: string, facts: UploadFacts, escaping: Escaping = 'raw'): string {
  return template.replace(VARIABLE, (_, name: string) => {
    const value = magicValue(name, facts);
    if (value === undefined) return '';
    const text = String(value);
    if (escaping === 'json') return typeof value === 'number' || value instanceof JsonText ? text : JSON.stringify(text).slice(1, -1);
    if (escaping === 'form') return encodeURIComponent(text);
    return text;
  });
}

/** Qiniu's answer when the policy has no returnBody. */
export function defaultReturnBody(facts: UploadFacts): Record<string, unknown> {
  return { key: facts.key, hash: facts.etag, ...(facts.persistentId && { persistentId: facts.persistentId }) };
}

/**
 * The answer of an upload: returnBody expanded as JSON (sent as JSON when it parses, else as
 * text), else Qiniu's default `{key, hash}`.
 */
export function renderReturnBody(returnBody: string | undefined, facts: UploadFacts): { json?: unknown; text?: string } {
  if (!returnBody) return { json: defaultReturnBody(facts) };
  const text = expandMagic(returnBody, facts, 'json');
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { text };
  }
}
