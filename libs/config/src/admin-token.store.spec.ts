import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminTokenFile, resolveAdminToken } from './admin-token.store';

describe('resolveAdminToken', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'fopflow-admin-token-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('takes FOPFLOW_ADMIN_TOKEN as it is and writes nothing', () => {
    expect(resolveAdminToken('s3cret', join(root, 'data'))).toEqual({ token: 's3cret', generated: false });
    expect(() => statSync(join(root, 'data'))).toThrow(/ENOENT/);
  });

  it('without one, makes a token readable only by its owner under the data dir, and keeps it across restarts', () => {
    const dataDir = join(root, 'data');
    const made = resolveAdminToken('', dataDir);
    expect(made).toEqual({ token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/), file: adminTokenFile(dataDir), generated: true });
    expect(statSync(made.file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(made.file!, 'utf8')).toBe(`${made.token}\n`);
    expect(resolveAdminToken('', dataDir)).toEqual({ token: made.token, file: made.file, generated: false });
    expect(resolveAdminToken('', join(root, 'other')).token).not.toBe(made.token);
  });

  it('reads a token an operator wrote by hand, and refuses an empty file naming it', () => {
    writeFileSync(adminTokenFile(root), '  chosen-token\n');
    expect(resolveAdminToken('', root).token).toBe('chosen-token');
    writeFileSync(adminTokenFile(root), '\n');
    expect(() => resolveAdminToken('', root)).toThrow(`${adminTokenFile(root)} is empty: delete it to have a new operator token made, or set FOPFLOW_ADMIN_TOKEN`);
  });
});
