#!/usr/bin/env node
// `npm test`: sets the machine up as the suites need it, then type-checks, builds and runs jest.
// It installs the npm dependencies when missing, the system packages when it may (root, or
// `sudo -n`, and apt; else it prints the one command), starts dockerd, the single-node swarm,
// builds the base images and starts the local registry — each only when missing
// (scripts/test-setup.plan.cjs decides). Under CI it first removes the Fopflow services and
// containers an earlier run left on the engine.
// `npm run test:unit` (this with --unit) needs only the npm dependencies: no Docker, no Redis.
// Arguments after `--` go to jest: `npm test -- test/e2e/jobs.e2e-spec.ts`.
// Node built-ins only, no `?.`/`??`: this runs before `npm install` has.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, canSudo, dependenciesCurrent, dependenciesShared, isRoot, onPath } from './host-setup.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { SYSTEM_TOOLS, baseImages, nextSetupStep } = require('./test-setup.plan.cjs');

/** How long a freshly started dockerd may take to answer. */
const DOCKERD_START_TIMEOUT_S = 60;
/** Every step fixes one thing: more rounds than this means one keeps failing to. */
const MAX_SETUP_ROUNDS = 12;
const DOCKERD_LOG = process.env.DOCKERD_LOG || '/var/log/dockerd.log';
const REGISTRY_ADDR = process.env.FOPFLOW_REGISTRY_ADDR || '127.0.0.1:5000';

const say = (text) => console.log(`[fopflow test] ${text}`);
class Fatal extends Error {}
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

function run(command, args, what) {
  say(`${what}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Fatal(`${what} failed (${result.error ? result.error.message : `exit ${result.status}`})`);
}

/** A docker CLI call's trimmed output, or undefined when it fails. */
function docker(...args) {
  const result = spawnSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const lines = (text) => (text ? text.split(/\s+/).filter(Boolean) : []);

function leftovers() {
  return {
    services: lines(docker('service', 'ls', '-q', '--filter', 'label=fopflow.pool')),
    containers: [...new Set([
      ...lines(docker('ps', '-aq', '--filter', 'label=fopflow.pool')),
      ...lines(docker('ps', '-aq', '--filter', 'label=fopflow.ufop.instance')),
    ])],
  };
}

async function registryStatus() {
  try {
    return (await fetch(`http://${REGISTRY_ADDR}/v2/`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

async function gatherFacts(unitOnly) {
  const ci = Boolean(process.env.CI) && process.env.CI !== 'false';
  const facts = {
    unitOnly,
    ci,
    dependenciesCurrent: dependenciesCurrent(ROOT),
    dependenciesShared: dependenciesShared(ROOT),
    hasLockfile: existsSync(join(ROOT, 'package-lock.json')),
    nodeMajor: process.versions.node.split('.')[0],
    registryAddr: REGISTRY_ADDR,
  };
  if (unitOnly) return facts;
  const root = isRoot();
  const dockerAnswers = onPath('docker') && docker('info', '--format', '{{.ID}}') !== undefined;
  const left = ci && dockerAnswers ? leftovers() : { services: [], containers: [] };
  return Object.assign(facts, {
    commands: SYSTEM_TOOLS.map((tool) => tool.command).filter(onPath),
    isRoot: root,
    canSudo: canSudo(),
    hasApt: onPath('apt-get'),
    dockerAnswers,
    swarmState: dockerAnswers ? docker('info', '--format', '{{.Swarm.LocalNodeState}}') : undefined,
    leftovers: left.services.length + left.containers.length,
    images: dockerAnswers ? baseImages(facts.nodeMajor).filter((image) => docker('image', 'inspect', '--format', '{{.Id}}', image)) : [],
    registryStatus: dockerAnswers ? await registryStatus() : 0,
  });
}

async function startDockerd() {
  mkdirSync(dirname(DOCKERD_LOG), { recursive: true });
  const log = openSync(DOCKERD_LOG, 'a');
  // setsid + detached: the daemon outlives this run and never gets the terminal's Ctrl-C. No image
  // registry is reachable: swarm tasks must run local images instead of trying Docker Hub.
  const daemon = spawn('setsid', ['dockerd'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
  });
  daemon.unref();
  say(`started dockerd (log: ${DOCKERD_LOG})`);
  for (let waited = 0; waited < DOCKERD_START_TIMEOUT_S; waited++, await sleep(1000)) {
    if (docker('info', '--format', '{{.ID}}') !== undefined) return;
  }
  spawnSync('tail', ['-n', '30', DOCKERD_LOG], { stdio: 'inherit' });
  throw new Fatal(`dockerd did not answer within ${DOCKERD_START_TIMEOUT_S} s (log: ${DOCKERD_LOG})`);
}

async function perform(step) {
  say(`${step.why}: ${step.action}`);
  switch (step.action) {
    case 'npm-ci':
      return run('npm', ['ci'], 'installing npm dependencies');
    case 'npm-install':
      return run('npm', ['install'], 'installing npm dependencies');
    case 'apt-install':
      if (!aptInstall(step.packages, { sudo: step.sudo })) throw new Fatal(`installing ${step.packages.join(' ')} with apt failed`);
      return undefined;
    case 'start-dockerd':
      return startDockerd();
    case 'swarm-init':
      return run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], 'starting a single-node swarm');
    case 'remove-leftovers': {
      const left = leftovers();
      if (left.services.length) run('docker', ['service', 'rm', ...left.services], 'removing leftover services');
      if (left.containers.length) run('docker', ['rm', '-f', ...left.containers], 'removing leftover containers');
      return undefined;
    }
    case 'build-base-images':
      return run('bash', ['docker/base-image.sh'], 'building the base images (the first time takes a few minutes)');
    case 'start-registry':
      return run('bash', ['docker/registry.sh'], 'starting the local image registry');
    default:
      throw new Fatal(`unknown set-up step ${step.action}`);
  }
}

async function setUp(unitOnly) {
  let previous;
  for (let round = 0; round < MAX_SETUP_ROUNDS; round++) {
    const step = nextSetupStep(await gatherFacts(unitOnly));
    if (!step) return;
    if (step.action === 'fail') throw new Fatal(`${step.why}. Run this, then npm test again:\n  ${step.advice}`);
    // A step that did not change what it was for would only repeat: stop with what is still wrong.
    if (previous && previous.action === step.action) throw new Fatal(`still ${step.why} after ${step.action}`);
    await perform(step);
    previous = step;
  }
  throw new Fatal(`the machine was still not ready after ${MAX_SETUP_ROUNDS} set-up steps`);
}

async function main() {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const jestArgs = args.filter((arg) => arg !== '--unit');
  await setUp(unitOnly);
  if (!unitOnly) {
    run('npm', ['run', '--silent', 'typecheck'], 'type-checking');
    run('npm', ['run', '--silent', 'build'], 'building');
  }
  const jest = createRequire(join(ROOT, 'package.json')).resolve('jest/bin/jest');
  // Last: --selectProjects takes every word after it, so a path before it would be read as a project.
  const projects = unitOnly ? ['--selectProjects', 'unit'] : [];
  const result = spawnSync(process.execPath, [jest, ...jestArgs, ...projects], { cwd: ROOT, stdio: 'inherit' });
  process.exit(result.status === null ? 1 : result.status);
}

main().catch((error) => {
  console.error(`[fopflow test] ${error instanceof Fatal ? error.message : error.stack}`);
  process.exit(1);
});
