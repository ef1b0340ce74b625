import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar, writeTar } from './tar-archive';

describe('tar archive', () => {
  it('reads back what it writes, gzipped or not', () => {
    const entries = [
      { name: 'ufop.yaml', data: Buffer.from('image: x\n') },
      { name: 'dir/big.bin', data: Buffer.alloc(1300, 7) },
    ];
    const tar = writeTar(entries);
    for (const archive of [tar, gzipSync(tar)]) {
      expect(readTar(archive, 1 << 20).map((e) => [e.name, e.data.length])).toEqual([['ufop.yaml', 9], ['dir/big.bin', 1300]]);
    }
  });

  it('reads GNU tar output, with ./ prefixes and long names, and GNU tar reads ours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ufop-tar-'));
    try {
      const long = `${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
      execFileSync('mkdir', ['-p', join(dir, 'src', 'd'.repeat(60))]);
      writeFileSync(join(dir, 'src', 'ufop.yaml'), 'run: x\n');
      writeFileSync(join(dir, 'src', long), 'long');
      execFileSync('tar', ['-czf', join(dir, 'a.tar.gz'), '-C', join(dir, 'src'), '.']);
      const entries = readTar(readFileSync(join(dir, 'a.tar.gz')), 1 << 20);
      expect(entries.find((e) => e.name === 'ufop.yaml')?.data.toString()).toBe('run: x\n');
      expect(entries.find((e) => e.name === long)?.data.toString()).toBe('long');

      writeFileSync(join(dir, 'ours.tar'), writeTar([{ name: 'Dockerfile', data: Buffer.from('FROM x\n') }, { name: long, data: Buffer.from('again'), mode: 0o755 }]));
      expect(execFileSync('tar', ['-xOf', join(dir, 'ours.tar'), 'Dockerfile']).toString()).toBe('FROM x\n');
      expect(execFileSync('tar', ['-xOf', join(dir, 'ours.tar'), long]).toString()).toBe('again');
      expect(execFileSync('tar', ['-tvf', join(dir, 'ours.tar'), long]).toString()).toMatch(/^-rwxr-xr-x 0\/0 /);
      expect(readTar(readFileSync(join(dir, 'ours.tar')), 1 << 20).find((e) => e.name === long)?.mode).toBe(0o755);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells a body that is no tar from a damaged one', () => {
    expect(() => readTar(Buffer.from('just some text'), 1 << 20)).toThrow(/^not a tar archive \(14 bytes/);
    expect(() => readTar(Buffer.from('x'.repeat(2048)), 1 << 20)).toThrow(/^not a tar archive \(its first header has no valid checksum\)/);
    expect(() => readTar(gzipSync(Buffer.from('<html>'.repeat(200))), 1 << 20)).toThrow(/^not a tar archive/);
    const tar = writeTar([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'b.txt', data: Buffer.from('b') }]);
    tar[1024 + 10] ^= 0xff; // the second header's name
    expect(() => readTar(tar, 1 << 20)).toThrow(/^tar: damaged header at byte 1024/);
  });

  it('refuses to unpack beyond the byte limit', () => {
    expect(() => readTar(gzipSync(Buffer.alloc(10_000)), 1000)).toThrow();
  });
});
