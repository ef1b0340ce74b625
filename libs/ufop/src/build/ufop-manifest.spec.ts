import { parseUfopManifest } from './ufop-manifest';
import { UfopManifestError } from '../ufop.errors';

/** Runs the parser and returns the error it must throw. */
function errorOf(text: string, options = {}): UfopManifestError {
  try {
    parseUfopManifest(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(UfopManifestError);
    return error as UfopManifestError;
  }
  throw new Error('expected a UfopManifestError');
}

describe('parseUfopManifest', () => {
  it('reads image, build_script with its lines, and run', () => {
    const text = ['# comment', 'image: fopflow/debian:bookworm', 'build_script:', '  - apt-get update', '  - "echo \'a b\'"', 'run: ./serve --port 9100', ''].join('\n');
    expect(parseUfopManifest(text)).toEqual({
      image: 'fopflow/debian:bookworm',
      buildScript: ['apt-get update', "echo 'a b'"],
      buildScriptLines: [4, 5],
      run: './serve --port 9100',
    });
  });

  it('treats a missing or empty build_script as no steps', () => {
    expect(parseUfopManifest('image: fopflow/node:20\nrun: node s.js\n').buildScript).toEqual([]);
    expect(parseUfopManifest('image: fopflow/node:20\nbuild_script:\nrun: node s.js\n').buildScript).toEqual([]);
    expect(parseUfopManifest('image: fopflow/node:20\nbuild_script: []\nrun: node s.js\n').buildScript).toEqual([]);
  });

  it('names the line and key of an unknown key', () => {
    const error = errorOf('image: fopflow/node:20\nrun: node s.js\nbuild_scripts:\n  - make\n');
    expect(error.status).toBe(400);
    expect(error.line).toBe(3);
    expect(error.field).toBe('build_scripts');
    expect(error.message).toMatch(/^ufop\.yaml line 3: unknown key 'build_scripts'/);
  });

  it.each([
    ['image', 'run: node s.js\n'],
    ['run', 'image: fopflow/node:20\n'],
  ])('refuses a manifest without %s', (field, text) => {
    const error = errorOf(text);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`missing required key '${field}'`);
  });

  it('names the line of a non-string build_script item', () => {
    const error = errorOf('image: fopflow/node:20\nbuild_script:\n  - echo ok\n  - 42\n  - [a]\nrun: node s.js\n');
    expect(error.line).toBe(4);
    expect(error.field).toBe('build_script[1]');
    expect(error.message).toContain('build_script[1] must be a string, got number 42');
  });

  it('refuses a build_script line with a newline in it', () => {
    const error = errorOf('image: fopflow/node:20\nbuild_script:\n  - |\n    echo a\n    echo b\nrun: node s.js\n');
    expect(error.field).toBe('build_script[0]');
    expect(error.line).toBe(3);
    expect(error.message).toContain('must be one line');
  });

  it('refuses an image outside the allowed bases, and honours a configured list', () => {
    const error = errorOf('image: ubuntu:latest\nrun: x\n');
    expect(error.line).toBe(1);
    expect(error.field).toBe('image');
    expect(error.message).toContain("image 'ubuntu:latest' is not an allowed base");
    expect(parseUfopManifest('image: ubuntu:latest\nrun: x\n', { allowedImages: ['ubuntu:latest'] }).image).toBe('ubuntu:latest');
  });

  it('refuses a non-string run and a build_script that is not a list', () => {
    expect(errorOf('image: fopflow/node:20\nrun:\n  - a\n').message).toMatch(/line 3: run must be a non-empty string, got a list/);
    expect(errorOf('image: fopflow/node:20\nbuild_script: make\nrun: x\n').message).toMatch(/line 2: build_script must be a list/);
  });

  it('reports broken YAML and duplicate keys with their line', () => {
    expect(errorOf('image: fopflow/node:20\nrun: [unclosed\n').message).toMatch(/^ufop\.yaml line \d: not valid YAML/);
    expect(errorOf('image: fopflow/node:20\nrun: a\nrun: b\n').line).toBe(3);
    expect(errorOf('- just\n- a list\n').message).toContain('must be a mapping');
  });

  it('refuses a manifest over the byte limit', () => {
    expect(errorOf(`image: fopflow/node:20\nrun: ${'x'.repeat(100)}\n`, { maxManifestBytes: 50 }).message).toContain('larger than 50 bytes');
  });
});
