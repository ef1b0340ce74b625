import { randomBytes } from 'node:crypto';
import { GatewayError } from '../http/error.filter';
import { multipartBoundary, multipartEvents } from './multipart-form.parser';

/** A body as undici's FormData encoder writes it, so the parser is checked against a real encoder. */
async function encode(form: FormData): Promise<{ body: Buffer; boundary: string }> {
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), boundary: multipartBoundary(request.headers.get('content-type')!) };
}

async function* chunks(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

async function parse(body: Buffer, boundary: string, chunkSize: number) {
  const parts: Array<{ name: string; filename?: string; contentType?: string; data: Buffer }> = [];
  for await (const event of multipartEvents(chunks(body, chunkSize), boundary)) {
    if (event.type === 'part') parts.push({ name: event.name, filename: event.filename, contentType: event.contentType, data: Buffer.alloc(0) });
    else if (event.type === 'data') parts[parts.length - 1].data = Buffer.concat([parts[parts.length - 1].data, event.chunk]);
  }
  return parts;
}

describe('multipartEvents', () => {
  it('yields every field and file intact, however the body is cut into chunks', async () => {
    // Bytes that contain CRLF and dashes, so a boundary-like tail must not be mistaken for one.
    const file = Buffer.concat([randomBytes(20_000), Buffer.from('\r\n--\r\n-'), randomBytes(33)]);
    const form = new FormData();
    form.set('token', 'ak:sign:policy');
    form.set('file', new Blob([file], { type: 'image/jpeg' }), 'a "b".jpg');
    form.set('x:album', 'sommer ☀');
    const { body, boundary } = await encode(form);
    for (const size of [1, 7, 4096, body.length]) {
      const parts = await parse(body, boundary, size);
      expect(parts.map((part) => part.name)).toEqual(['token', 'file', 'x:album']);
      expect(parts[0].data.toString()).toBe('ak:sign:policy');
      expect(parts[1]).toMatchObject({ filename: 'a "b".jpg', contentType: 'image/jpeg' });
      expect(parts[1].data.equals(file)).toBe(true);
      expect(parts[2].data.toString()).toBe('sommer ☀');
    }
  });

  it('refuses a body cut short, one without a boundary and a part without a name with 400', async () => {
    const form = new FormData();
    form.set('token', 't');
    const { body, boundary } = await encode(form);
    const expectRefused = async (bytes: Buffer, pattern: RegExp) => {
      const error = await parse(bytes, boundary, 64).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(400);
      expect((error as GatewayError).message).toMatch(pattern);
    };
    await expectRefused(body.subarray(0, body.length - 10), /ends/);
    await expectRefused(Buffer.from('no boundary here'), /no opening boundary/);
    await expectRefused(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--`), /without a name/);
  });

  it('reads the boundary from the Content-Type, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(() => multipartBoundary('application/json')).toThrow(/multipart/);
  });
});
