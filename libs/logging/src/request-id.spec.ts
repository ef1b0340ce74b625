import { currentLogContext, inJobLogContext, withLogContext } from './log-context';
import { MAX_REQUEST_ID_LENGTH, requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it('honours a sane id', () => {
    expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    expect(requestIdFrom('a'.repeat(MAX_REQUEST_ID_LENGTH))).toBe('a'.repeat(MAX_REQUEST_ID_LENGTH));
  });

  it.each([undefined, '', 'has space', 'a'.repeat(MAX_REQUEST_ID_LENGTH + 1), '"quoted"', 'new\nline', '<script>'])('makes a fresh id for %p', (given) => {
    expect(requestIdFrom(given)).toMatch(UUID);
  });
});

describe('log context', () => {
  it('nests: a job inside a request keeps the request id and adds its own', async () => {
    await withLogContext({ requestId: 'r1' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      expect(withLogContext({ jobId: 'j1', requestId: undefined }, currentLogContext)).toEqual({ requestId: 'r1', jobId: 'j1' });
    });
    expect(currentLogContext()).toEqual({});
  });

  it('runs a job in its ids, says when it starts and ends, and rethrows its failure', async () => {
    const lines: string[] = [];
    const writer = { log: (line: string) => lines.push(`${JSON.stringify(currentLogContext())} ${line}`), warn: (line: string) => lines.push(`warn ${line}`) };
    const job = { id: '7', queueName: 'fop.imageInfo.paid', data: { requestId: 'req-9' } };
    await expect(inJobLogContext(job, writer, async () => currentLogContext().jobId)).resolves.toBe('7');
    expect(lines[0]).toBe('{"requestId":"req-9","jobId":"7","queue":"fop.imageInfo.paid"} job started');
    expect(lines[1]).toMatch(/job completed in \d+ ms$/);
    await expect(inJobLogContext(job, writer, async () => Promise.reject(new Error('bad source')))).rejects.toThrow('bad source');
    expect(lines[3]).toMatch(/^warn job failed after \d+ ms: bad source$/);
  });
});
