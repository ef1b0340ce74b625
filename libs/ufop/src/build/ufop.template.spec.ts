import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUfopManifest } from './ufop-manifest';
import { UfopRequestError } from '../ufop.errors';
import { UFOP_TEMPLATE_NAME_PLACEHOLDER, UfopTemplateError, ufopTemplateDir, writeUfopTemplate } from './ufop.template';
import { freePort, waitForHealth } from '../testing/loopback';

const TEMPLATE_FILES = ['README.md', 'server.js', 'ufop.yaml'];

describe('writeUfopTemplate', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const tmp = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'fopflow-ufop-template-'));
    dirs.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the node template with the name filled in, and its ufop.yaml is a valid manifest', () => {
    const dir = join(tmp(), 'my-sepia');
    const written = writeUfopTemplate(dir, 'my-sepia');

    expect(written).toEqual(TEMPLATE_FILES.map((file) => join(dir, file)));
    for (const file of written) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(UFOP_TEMPLATE_NAME_PLACEHOLDER);
      expect(text).toContain('my-sepia');
    }
    // The template itself does carry the placeholder in every file: substitution is what put the name there.
    for (const file of TEMPLATE_FILES) expect(readFileSync(join(ufopTemplateDir(), file), 'utf8')).toContain(UFOP_TEMPLATE_NAME_PLACEHOLDER);

    const manifest = parseUfopManifest(readFileSync(join(dir, 'ufop.yaml'), 'utf8'));
    expect(manifest).toMatchObject({ image: 'fopflow/node:20', buildScript: ['node --check server.js'], run: 'exec node server.js' });
  });

  it('refuses to overwrite, naming the files that exist, and writes none of the others', () => {
    const dir = tmp();
    writeUfopTemplate(dir, 'my-sepia');
    const before = readFileSync(join(dir, 'server.js'), 'utf8');
    expect(() => writeUfopTemplate(dir, 'other-name')).toThrow(`refusing to overwrite ${TEMPLATE_FILES.map((file) => join(dir, file)).join(', ')}`);
    expect(readFileSync(join(dir, 'server.js'), 'utf8')).toBe(before);

    const partly = tmp();
    writeFileSync(join(partly, 'server.js'), '// mine\n');
    const error = (() => {
      try {
        writeUfopTemplate(partly, 'my-sepia');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UfopTemplateError);
    expect((error as UfopTemplateError).existing).toEqual([join(partly, 'server.js')]);
    expect((error as Error).message).toContain(join(partly, 'server.js'));
    expect(existsSync(join(partly, 'ufop.yaml'))).toBe(false);
    expect(readFileSync(join(partly, 'server.js'), 'utf8')).toBe('// mine\n');
  });

  it('refuses a name a UFOP cannot be registered under', () => {
    const dir = tmp();
    for (const name of ['My-Sepia', 'a', 'x/../y', "it's", '9lives', 'double--dash']) {
      expect(() => writeUfopTemplate(dir, name)).toThrow(UfopRequestError);
    }
    expect(() => writeUfopTemplate(dir, 'avthumb')).toThrow(/official command/);
    expect(() => writeUfopTemplate(dir, 'saveas')).toThrow(UfopRequestError);
    expect(() => writeUfopTemplate(dir, 'my-sepia', 'cobol')).toThrow(/UFOP template 'cobol' not found/);
  });

  it('writes a server that keeps the contract: health, the handler, 4xx for bad params, exit on SIGTERM', async () => {
    const dir = tmp();
    writeUfopTemplate(dir, 'shout');
    const port = await freePort();
    const child = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, UFOP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    expect((await waitForHealth(port)).status).toBe(200);
    expect(output).toContain(`shout listening on ${port}`);
    const handler = (cmd: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}/handler?cmd=${encodeURIComponent(cmd)}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(5000) });

    const echoed = await handler('shout', '<p>as is</p>', { 'content-type': 'text/html' });
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get('content-type')).toBe('text/html');
    expect(await echoed.text()).toBe('<p>as is</p>');

    // The first segment is whatever name the UFOP was registered under.
    const upper = await handler('renamed/case/upper', 'Hello, fop');
    expect(upper.status).toBe(200);
    expect(upper.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await upper.text()).toBe('HELLO, FOP');

    for (const [cmd, error] of [
      ['shout/case/title', "case must be upper or lower, got 'title'"],
      ['shout/size/3', "unknown parameter 'size' (known: case)"],
      ['shout/case', "parameter 'case' has no value"],
      ['shout/case/upper/case/lower', "parameter 'case' is given twice"],
    ]) {
      const answer = await handler(cmd, 'x');
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error });
    }
    const noCmd = await fetch(`http://127.0.0.1:${port}/handler`, { method: 'POST', body: 'x' });
    expect(noCmd.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/nowhere`)).status).toBe(404);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
