// What `npm test` still has to set up on this machine, decided from what is there. Pure (facts in,
// one step out) so a unit spec can ask it about machines it never sees; scripts/test.mjs gathers
// the facts, runs the step, gathers again, until nothing is left. Node built-ins only, CommonJS
// and no `?.`: this runs before `npm install` has, on whatever Node the machine has.
'use strict';

/** The programs the suites run, and the Debian package that brings each. */
const SYSTEM_TOOLS = [
  { command: 'redis-server', pkg: 'redis-server' },
  { command: 'ffmpeg', pkg: 'ffmpeg' },
  { command: 'ffprobe', pkg: 'ffmpeg' },
  { command: 'docker', pkg: 'docker.io' },
  { command: 'dockerd', pkg: 'docker.io' },
  { command: 'debootstrap', pkg: 'debootstrap' },
  { command: 'docker-registry', pkg: 'docker-registry' },
  // The console's and the API docs' pages are tested in a real headless browser.
  { command: 'chromium', pkg: 'chromium' },
  // The local three-node swarm (docker/cluster.sh): namespaces, veths and the bridge's iptables
  // rules, and a C compiler with static libc for its suite's task image.
  { command: 'ip', pkg: 'iproute2' },
  { command: 'iptables', pkg: 'iptables' },
  { command: 'gcc', pkg: 'build-essential' },
];

/** The base images every Fopflow Dockerfile starts FROM (docker/base-image.sh builds them). */
function baseImages(nodeMajor) {
  return ['fopflow/debian:bookworm', `fopflow/node:${nodeMajor}`, 'fopflow/ffmpeg:latest'];
}

/** Debian packages that bring the missing commands, each once, in SYSTEM_TOOLS order. */
function missingPackages(commands) {
  const present = new Set(commands);
  const packages = [];
  for (const tool of SYSTEM_TOOLS) {
    if (!present.has(tool.command) && packages.indexOf(tool.pkg) < 0) packages.push(tool.pkg);
  }
  return packages;
}

/** The one line a user who may not install runs, then `npm test` again. */
function aptAdvice(packages, isRoot) {
  const sudo = isRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

const fail = (why, advice) => ({ action: 'fail', why, advice });

/**
 * The next thing to do before the suites can run, or null when the machine is ready.
 * @param {object} facts what scripts/test.mjs found:
 *   unitOnly (only the unit project runs: no services wanted), dependenciesCurrent (node_modules
 *   is newer than the lockfile), dependenciesShared (node_modules is a symlink), hasLockfile,
 *   commands (programs on PATH), isRoot, canSudo
 *   (`sudo -n` works), hasApt, dockerAnswers (`docker info` succeeds), swarmState (the engine's
 *   LocalNodeState), leftovers (Fopflow services and containers an earlier run left; counted
 *   under CI only), ci, images (base images present), nodeMajor, registryStatus (HTTP status of
 *   the local registry's GET /v2/, 0 when nothing answers) and registryAddr.
 * @returns {{action: string, why: string, packages?: string[], sudo?: boolean, advice?: string} | null}
 */
function nextSetupStep(facts) {
  // A symlinked node_modules is another checkout's: reinstalling through it would empty theirs.
  if (!facts.dependenciesCurrent && !facts.dependenciesShared) {
    return { action: facts.hasLockfile ? 'npm-ci' : 'npm-install', why: 'node_modules is missing or older than package-lock.json' };
  }
  if (facts.unitOnly) return null;

  const packages = missingPackages(facts.commands);
  if (packages.length) {
    const why = `missing ${packages.join(', ')}`;
    if (!facts.hasApt) return fail(why, `install ${packages.join(' ')} with your package manager (names as on Debian), then npm test again`);
    if (!facts.isRoot && !facts.canSudo) return fail(why, `${aptAdvice(packages, false)}   # then npm test again`);
    return { action: 'apt-install', why, packages, sudo: !facts.isRoot };
  }

  if (!facts.dockerAnswers) {
    const why = 'the Docker engine does not answer';
    // Only root may start the engine; a user in the docker group still cannot.
    if (!facts.isRoot) return fail(why, 'sudo systemctl start docker   # or, without systemd: sudo dockerd >/var/log/dockerd.log 2>&1 &');
    return { action: 'start-dockerd', why };
  }
  if (facts.swarmState !== 'active') {
    return { action: 'swarm-init', why: `the engine is not in a swarm (${facts.swarmState || 'unknown'}); the swarm runtime suites need a single-node one` };
  }
  // Only under CI: on a shared engine the services belong to someone else's run.
  if (facts.ci && facts.leftovers > 0) {
    return { action: 'remove-leftovers', why: `${facts.leftovers} Fopflow services or containers left by an earlier run would compete for the CPU` };
  }
  const missingImages = baseImages(facts.nodeMajor).filter((image) => facts.images.indexOf(image) < 0);
  if (missingImages.length) return { action: 'build-base-images', why: `missing base images ${missingImages.join(', ')}` };
  if (facts.registryStatus !== 200) {
    return { action: 'start-registry', why: `the local image registry does not answer at ${facts.registryAddr}` };
  }
  return null;
}

module.exports = { SYSTEM_TOOLS, baseImages, missingPackages, aptAdvice, nextSetupStep };
