import Docker from 'dockerode';
import { demuxLogs } from './sandbox.containers';

/** One frame as the engine writes it: stream type, three zero bytes, the length big-endian, the bytes. */
function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

// dockerode's modem, unconnected: demuxing touches no engine.
const modem = new Docker({ socketPath: '/nonexistent/docker.sock' }).modem;

describe('demuxLogs', () => {
  it('joins stdout and stderr frames in the order they were written', async () => {
    const raw = Buffer.concat([frame(1, 'listening on 9100\n'), frame(2, 'warn: slow start\n'), frame(1, 'ready\n')]);
    expect(await demuxLogs(raw, modem)).toBe('listening on 9100\nwarn: slow start\nready\n');
  });

  it('keeps a long frame and multi-byte text whole', async () => {
    const raw = Buffer.concat([frame(1, 'héllo '.repeat(5000)), frame(2, 'done')]);
    expect(await demuxLogs(raw, modem)).toBe(`${'héllo '.repeat(5000)}done`);
  });

  it('passes unframed (TTY) logs and text answers through', async () => {
    expect(await demuxLogs(Buffer.from('plain output\n'), modem)).toBe('plain output\n');
    expect(await demuxLogs('already text', modem)).toBe('already text');
    expect(await demuxLogs(Buffer.alloc(0), modem)).toBe('');
  });
});
