import { GatewayError } from '../http/error.filter';

/** Largest header block of one part, in bytes. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;
/** Most bytes before the first boundary, or after a boundary before its line ends. */
const MAX_PREAMBLE_BYTES = 16 * 1024;

/** One step of a multipart body, in order: a part starts (with its headers), its bytes, its end. */
export type MultipartEvent =
  | { type: 'part'; name: string; filename?: string; contentType?: string }
  | { type: 'data'; chunk: Buffer }
  | { type: 'end' };

function malformed(why: string): GatewayError {
  return new GatewayError(400, `malformed multipart body: ${why}`);
}

/** The boundary of a `multipart/form-data; boundary=…` Content-Type; 400 when there is none. */
export function multipartBoundary(contentType: string): string {
  const match = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  if (!match) throw new GatewayError(400, 'a form upload is multipart/form-data with a boundary (token, key, file)');
  return match[1] ?? match[2];
}

/**
 * Reads a multipart/form-data body as it arrives and yields its parts' starts, bytes and ends.
 * Memory stays bounded by the largest chunk plus the boundary: a part's bytes are handed on as
 * they come, and nothing is read ahead of the consumer (it pulls the next event when ready).
 */
export async function* multipartEvents(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<MultipartEvent> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const iterator = source[Symbol.asyncIterator]();
  // The first boundary has no CRLF before it; one is assumed so every boundary looks the same.
  let buffer: Buffer = Buffer.from('\r\n');
  let state: 'preamble' | 'after-boundary' | 'headers' | 'body' = 'preamble';
  const more = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done) return false;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    return true;
  };
  for (;;) {
    if (state === 'preamble') {
      const at = buffer.indexOf(delimiter);
      if (at >= 0) {
        buffer = buffer.subarray(at + delimiter.length);
        state = 'after-boundary';
      } else if (buffer.length > MAX_PREAMBLE_BYTES) throw malformed('no boundary in its first bytes');
      else if (!(await more())) throw malformed('no opening boundary');
    } else if (state === 'after-boundary') {
      if (buffer.length >= 2 && buffer[0] === 0x2d && buffer[1] === 0x2d) return;
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd >= 0) {
        // Only transport padding (spaces, tabs) may follow a boundary before its line ends.
        if (!/^[ \t]*$/.test(buffer.subarray(0, lineEnd).toString('latin1'))) throw malformed('text after a boundary');
        buffer = buffer.subarray(lineEnd + 2);
        state = 'headers';
      } else if (buffer.length > MAX_PREAMBLE_BYTES) throw malformed('a boundary line never ends');
      else if (!(await more())) throw malformed('the body ends after a boundary without the closing --');
    } else if (state === 'headers') {
      const end = buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a ? 0 : buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = buffer.subarray(0, end).toString('utf8');
        buffer = buffer.subarray(end === 0 ? 2 : end + 4);
        state = 'body';
        yield partStart(head);
      } else if (buffer.length > MAX_PART_HEADER_BYTES) throw malformed(`part headers over ${MAX_PART_HEADER_BYTES} bytes`);
      else if (!(await more())) throw malformed('the body ends inside part headers');
    } else {
      const at = buffer.indexOf(delimiter);
      if (at >= 0) {
        const data = buffer.subarray(0, at);
        buffer = buffer.subarray(at + delimiter.length);
        state = 'after-boundary';
        if (data.length) yield { type: 'data', chunk: data };
        yield { type: 'end' };
        continue;
      }
      // Hand on all but a tail that could be the start of the next boundary.
      const keep = delimiter.length - 1;
      if (buffer.length > keep) {
        const data = buffer.subarray(0, buffer.length - keep);
        buffer = buffer.subarray(buffer.length - keep);
        yield { type: 'data', chunk: data };
      }
      if (!(await more())) throw malformed('the body ends inside a part');
    }
  }
}

/** The part's field name, file name and type from its headers; 400 without a form-data disposition. */
function partStart(head: string): MultipartEvent {
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  if (!/^form-data\b/i.test(disposition)) throw malformed('a part without Content-Disposition: form-data');
  const param = (key: string) => new RegExp(`;\\s*${key}="([^"]*)"`, 'i').exec(disposition)?.[1] ?? new RegExp(`;\\s*${key}=([^;\\s"]+)`, 'i').exec(disposition)?.[1];
  const name = param('name');
  if (name === undefined) throw malformed('a part without a name');
  const filename = param('filename');
  // Browsers and Qiniu's SDK escape quotes and line breaks in file names as %22, %0D, %0A.
  const decoded = filename?.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
  return { type: 'part', name, ...(decoded !== undefined && { filename: decoded }), ...(headers.has('content-type') && { contentType: headers.get('content-type') }) };
}
