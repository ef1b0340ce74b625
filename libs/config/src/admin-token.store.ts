import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File under the data dir holding the operator token made when FOPFLOW_ADMIN_TOKEN is not set. */
export const ADMIN_TOKEN_FILE_NAME = 'admin-token';

/** Random bytes in a generated token: 192 bits, 32 base64url characters. */
const GENERATED_TOKEN_BYTES = 24;

/** The operator token in force and where it came from. */
export interface AdminTokenSource {
  token: string;
  /** The file it was read from or written to; undefined when FOPFLOW_ADMIN_TOKEN set it. */
  file?: string;
  /** True when this call made it. */
  generated: boolean;
}

/** Where the generated operator token of `dataDir` lives. */
export function adminTokenFile(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE_NAME);
}

/**
 * The operator token: `configured` (FOPFLOW_ADMIN_TOKEN) when set; else the one kept in
 * `<dataDir>/admin-token`, made (mode 0600) the first time. There is no open mode: every process
 * pointed at the same data dir reads the same token, and a restart keeps it.
 */
export function resolveAdminToken(configured: string, dataDir: string): AdminTokenSource {
  if (configured) return { token: configured, generated: false };
  const file = adminTokenFile(dataDir);
  const kept = readKept(file);
  if (kept !== undefined) return { token: kept, file, generated: false };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(GENERATED_TOKEN_BYTES).toString('base64url');
  // Written whole under another name, then linked into place: a process starting at the same
  // moment either finds no file or the full token, and the first link wins.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(draft, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
    return { token, file, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { token: readKept(file) ?? failEmpty(file), file, generated: false };
  } finally {
    unlinkSync(draft);
  }
}

/** The operator token kept under `dataDir`, if one was made there; for clients on the same machine (fopctl). */
export function keptAdminToken(dataDir: string): string | undefined {
  return readKept(adminTokenFile(dataDir));
}

function readKept(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return text.trim() || failEmpty(file);
}

function failEmpty(file: string): never {
  throw new Error(`${file} is empty: delete it to have a new operator token made, or set FOPFLOW_ADMIN_TOKEN`);
}
