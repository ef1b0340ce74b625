import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './cleanup';

/** What of dist/ the apps need: their own code and the libs they require by relative path. */
const BUILT_PARTS = ['apps', 'libs'] as const;
/** How often, and how far apart, a copy caught in the middle of someone's rebuild is tried again. */
const COPY_ATTEMPTS = 20;
const COPY_RETRY_MS = 3_000;
/** What a built file holds while tsc has written it and tsc-alias has not yet rewritten its imports. */
const UNRESOLVED_ALIAS = /require\("@fopflow\//;

let snapshot: Promise<string> | undefined;

/**
 * A private copy of the built apps (gateway, worker, scaler), made once per bench process. A run lasts
 * minutes and dist/ is shared: anyone's `npm test` rebuilds it meanwhile, and an app started in
 * the middle of that finds half-written files. The copy is taken when dist/ is complete, and
 * every platform of the run starts from it. Answers the dir holding `apps/` and `libs/`.
 */
export function builtAppsSnapshot(repoRoot: string): Promise<string> {
  snapshot ??= copyWhenComplete(join(repoRoot, 'dist'));
  return snapshot;
}

async function copyWhenComplete(dist: string): Promise<string> {
  let problem = '';
  for (let attempt = 1; attempt <= COPY_ATTEMPTS; attempt++) {
    const dir = makeTempDir('fopflow-bench-apps-');
    try {
      for (const part of BUILT_PARTS) cpSync(join(dist, part), join(dir, part), { recursive: true });
      problem = incomplete(dir);
    } catch (error) {
      problem = (error as Error).message;
    }
    if (!problem) return dir;
    removeTempDir(dir);
    await new Promise((resolve) => setTimeout(resolve, COPY_RETRY_MS));
  }
  throw new Error(`dist/ stayed incomplete (${problem}); run npm run build`);
}

/** Why the copy cannot run, or '' when it can. */
function incomplete(dir: string): string {
  for (const app of ['gateway', 'worker', 'scaler']) {
    if (!existsSync(join(dir, 'apps', app, 'src', 'main.js'))) return `no built ${app}`;
  }
  const unresolved = builtFiles(dir).find((file) => UNRESOLVED_ALIAS.test(readFileSync(file, 'utf8')));
  return unresolved ? `${unresolved} still imports @fopflow/ (a build in progress)` : '';
}

function builtFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.js'))
    .map((name) => join(dir, name));
}
