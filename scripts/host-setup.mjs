// What `npm start` and `npm test` both ask of the machine before anything else: are the npm
// dependencies installed, which programs are on PATH, may we install system packages, and the
// apt run that does. Node built-ins only, no `?.`/`??`: this runs before `npm install` has.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

/** True when node_modules was installed after the lockfile last changed. */
export function dependenciesCurrent(root) {
  // npm rewrites node_modules/.package-lock.json on every install: a better stamp than the folder.
  const stamp = Math.max(mtime(join(root, 'node_modules')), mtime(join(root, 'node_modules/.package-lock.json')));
  return stamp > 0 && stamp >= mtime(join(root, 'package-lock.json'));
}

/**
 * True when node_modules is a symlink: another checkout's install (a git worktree sharing it).
 * Never reinstall through it: `npm ci` would empty the other checkout's node_modules.
 */
export function dependenciesShared(root) {
  try {
    return lstatSync(join(root, 'node_modules')).isSymbolicLink();
  } catch {
    return false;
  }
}

/** True when `tool` is a command on PATH. */
export const onPath = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** True when this process runs as root. */
export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** True when sudo works without a password prompt (there may be no terminal to ask on). */
export const canSudo = () => !isRoot() && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;

// policy-rc.d answering 101 keeps the packages from starting their own services while they
// install: Fopflow starts its own redis-server on free ports, and Debian's docker-registry
// service (with htpasswd auth) would take the port the local registry wants.
const APT_SCRIPT = (list) => `policy=/usr/sbin/policy-rc.d; made=
if [ ! -e "$policy" ]; then printf '#!/bin/sh\\nexit 101\\n' >"$policy" && chmod +x "$policy" && made=1; fi
apt-get update && apt-get install -y ${list}; status=$?
[ -z "$made" ] || rm -f "$policy"
exit $status`;

/**
 * Installs Debian packages with apt, as root or through `sudo -n`, non-interactively.
 * @returns true when apt succeeded.
 */
export function aptInstall(packages, { sudo }) {
  const script = APT_SCRIPT(packages.join(' '));
  // sudo resets the environment, so the noninteractive flag goes in through `env`.
  const [command, args] = sudo
    ? ['sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'sh', '-c', script]]
    : ['sh', ['-c', script]];
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}
