import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConcurrency, resolveImageThreads } from './concurrency';

describe('resolveConcurrency', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-concurrency-'));
  const file = join(dir, 'concurrency.json');
  writeFileSync(file, JSON.stringify({ commands: { imageView2: 3 }, default: 2 }));

  it('reads measured values and falls back to the file default', () => {
    expect(resolveConcurrency(['imageView2', 'imageInfo'], file, '')).toEqual({ imageView2: 3, imageInfo: 2 });
  });

  it('falls back to 1 when the file is missing', () => {
    expect(resolveConcurrency(['imageInfo'], join(dir, 'none.json'), '')).toEqual({ imageInfo: 1 });
  });

  it('applies a single-number override to every command', () => {
    expect(resolveConcurrency(['imageView2', 'imageInfo'], file, '5')).toEqual({ imageView2: 5, imageInfo: 5 });
  });

  it('applies per-command overrides on top of the file', () => {
    expect(resolveConcurrency(['imageView2', 'imageInfo'], file, 'imageInfo=7')).toEqual({ imageView2: 3, imageInfo: 7 });
  });

  it('rejects unknown commands and bad numbers, naming them', () => {
    expect(() => resolveConcurrency(['imageInfo'], file, 'nope=2')).toThrow(/unknown command 'nope'/);
    expect(() => resolveConcurrency(['imageInfo'], file, 'imageInfo=0')).toThrow(/'0' is not a whole number/);
  });

  it('names a malformed file', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    expect(() => resolveConcurrency(['imageInfo'], broken, '')).toThrow(/broken.json: not valid JSON/);
  });
});

describe('resolveImageThreads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-image-threads-'));
  const measured = join(dir, 'measured.json');
  writeFileSync(measured, JSON.stringify({ commands: {}, imageThreads: 2 }));

  it('takes the measured threads, the override over them, and leaves sharp its default when neither says', () => {
    expect(resolveImageThreads(measured, '')).toBe(2);
    expect(resolveImageThreads(measured, '4')).toBe(4);
    expect(resolveImageThreads(join(dir, 'none.json'), '')).toBeUndefined();
  });

  it('names a bad value in the file or the override', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ imageThreads: 0 }));
    expect(() => resolveImageThreads(bad, '')).toThrow(/bad.json: imageThreads: '0' is not a whole number/);
    expect(() => resolveImageThreads(measured, 'many')).toThrow(/FOPFLOW_IMAGE_THREADS: 'many'/);
  });
});
