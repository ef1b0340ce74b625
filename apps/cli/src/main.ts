#!/usr/bin/env node
import { resolve } from 'node:path';
import { keptAdminToken } from '@fopflow/config';
import { CommanderError } from 'commander';
import { buildFopctl } from './fopctl';

/**
 * fopctl against FOPFLOW_URL (default http://127.0.0.1:8080): calls are signed with
 * FOPFLOW_ACCESS_KEY / FOPFLOW_SECRET_KEY when both are set, else carry FOPFLOW_ADMIN_TOKEN, or
 * the operator token a gateway generated under FOPFLOW_DATA_DIR (default .data of the checkout).
 */
async function main(): Promise<void> {
  // Before the chdir below: `npm run fopctl` starts in the checkout, whose .data npm start uses.
  const dataDir = resolve(process.env.FOPFLOW_DATA_DIR || '.data');
  // `npm run fopctl` runs in the package's directory: paths on the command line are the caller's.
  if (process.env.npm_lifecycle_event === 'fopctl' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const { FOPFLOW_ACCESS_KEY: accessKey, FOPFLOW_SECRET_KEY: secretKey } = process.env;
  const program = buildFopctl({
    url: (process.env.FOPFLOW_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
    token: process.env.FOPFLOW_ADMIN_TOKEN || readableToken(dataDir),
    key: accessKey && secretKey ? { accessKey, secretKey } : undefined,
    print: (text) => {
      bar.end();
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    progress: bar.draw,
  });
  await program.parseAsync(process.argv);
}

/**
 * The progress bar of `jobs wait` on stderr (stdout stays the answer, --json stays parseable):
 * redrawn in place on a terminal, one line per change when piped into a log.
 */
function progressBar(stream: NodeJS.WriteStream): { draw: (line: string) => void; end: () => void } {
  let open = false;
  return {
    draw: (line) => {
      if (!stream.isTTY) return void stream.write(`${line}\n`);
      stream.write(`\r\x1b[2K${line}`);
      open = true;
    },
    end: () => {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

const bar = progressBar(process.stderr);

/** The kept operator token when this user may read it; fopctl then works with no setup on the gateway's machine. */
function readableToken(dataDir: string): string | undefined {
  try {
    return keptAdminToken(dataDir);
  } catch {
    return undefined;
  }
}

main().catch((error: Error) => {
  bar.end();
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`fopctl: ${error.message}\n`);
  process.exit(1);
});
