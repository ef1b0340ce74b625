import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The built fopctl, run through the bin package.json installs. */
export const FOPCTL_BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.fopctl);

/** What one fopctl run printed, and how it exited. */
export interface FopctlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built fopctl against `platform` with `key` as FOPFLOW_ACCESS_KEY/SECRET_KEY. */
export function runFopctl(platform: { url: string; dataDir: string }, args: string[], [accessKey, secretKey]: [string, string]): Promise<FopctlRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FOPCTL_BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, FOPFLOW_URL: platform.url, FOPFLOW_ACCESS_KEY: accessKey, FOPFLOW_SECRET_KEY: secretKey, FOPFLOW_DATA_DIR: platform.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
