#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildFopctl } from './fopctl';

/**
 * fopctl against FOPFLOW_URL (default http://127.0.0.1:8080): calls are signed with
 * FOPFLOW_ACCESS_KEY / FOPFLOW_SECRET_KEY when both are set, else carry FOPFLOW_ADMIN_TOKEN.
 */
async function main(): Promise<void> {
  // `npm run fopctl` runs in the package's directory: paths on the command line are the caller's.
  if (process.env.npm_lifecycle_event === 'fopctl' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const { FOPFLOW_ACCESS_KEY: accessKey, FOPFLOW_SECRET_KEY: secretKey } = process.env;
  const program = buildFopctl({
    url: (process.env.FOPFLOW_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
    token: process.env.FOPFLOW_ADMIN_TOKEN,
    key: accessKey && secretKey ? { accessKey, secretKey } : undefined,
    print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  });
  await program.parseAsync(process.argv);
}

main().catch((error: Error) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`fopctl: ${error.message}\n`);
  process.exit(1);
});
