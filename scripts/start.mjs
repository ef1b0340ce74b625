#!/usr/bin/env node
// `npm start`: the embedded default. Installs what is missing, builds, starts a private Redis,
// the gateway and worker(s), uploads a sample image and prints working URLs. Ctrl-C stops all.
// Node built-ins only: this runs before `npm install` has. No `?.`/`??` either, so that an old
// Node (12, as Debian 11 and Ubuntu 22.04 ship) gets to print the version advice below.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { aptInstall, canSudo, dependenciesCurrent, dependenciesShared, isRoot, onPath } from './host-setup.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const READY_TIMEOUT_MS = 60000;
const APP_GRACE_MS = 35000; // workers get FOPFLOW_SHUTDOWN_GRACE_MS (30 s) to finish active jobs
const REDIS_GRACE_MS = 10000;
const ADMIN_TOKEN_FILE_NAME = 'admin-token'; // the gateway's, in libs/config/src/admin-token.store.ts
// The private Redis's memory bound (FOPFLOW_REDIS_MAXMEMORY, in redis-server's units: 512mb, 2gb).
// Past it, with noeviction, writes fail loudly instead of the host swapping or queues losing jobs.
const REDIS_MAXMEMORY_DEFAULT = '512mb';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text) => console.log(`${paint('1;32', '[fopflow]')} ${text}`);
const warn = (text) => console.error(`${paint('1;33', '[fopflow]')} ${paint('33', text)}`);
class Fatal extends Error {}
const or = (value, fallback) => (value === undefined || value === null ? fallback : value);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ---------- prerequisites ----------

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 20 || (major === 20 && minor >= 9)) return;
  console.error(`Fopflow needs Node.js >= 20.9; this is ${process.version}.`);
  console.error('Install a current LTS, e.g. from https://nodejs.org or with nvm: nvm install --lts');
  process.exit(1);
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

function run(command, args, what) {
  say(`${what}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Fatal(`${what} failed (${result.error ? result.error.message : `exit ${result.status}`})`);
}

function ensureDependencies() {
  if (dependenciesCurrent(ROOT) || dependenciesShared(ROOT)) return;
  run('npm', existsSync(join(ROOT, 'package-lock.json')) ? ['ci'] : ['install'], 'installing npm dependencies');
}

function ensureTools() {
  const packages = [];
  if (!process.env.REDIS_URL && !onPath('redis-server')) packages.push('redis-server');
  if (!onPath('ffmpeg')) packages.push('ffmpeg');
  if (packages.length === 0) return;
  const list = packages.join(' ');
  const sudo = canSudo();
  const prefix = isRoot() ? '' : 'sudo ';
  const advice = `  ${prefix}apt-get update && ${prefix}apt-get install -y ${list}`;
  if (!onPath('apt-get') || (!isRoot() && !sudo)) {
    throw new Fatal(`missing ${packages.join(' and ')}. Install, then run npm start again:\n${advice}\n` +
      '  (not Debian/Ubuntu? install them with your package manager)');
  }
  say(`installing ${list} with apt`);
  if (!aptInstall(packages, { sudo })) throw new Fatal(`installing ${list} failed; run this, then npm start again:\n${advice}`);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    // Specs are not part of the build (tsconfig.build.json), so editing one needs no rebuild.
    else if (entry.name.endsWith('.ts') && !/[.-]spec\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild() {
  const gateway = join(ROOT, 'dist/apps/gateway/src/main.js');
  const worker = join(ROOT, 'dist/apps/scaler/src/main.js');
  // tsc builds incrementally and leaves unchanged outputs alone; its build info marks the last build.
  const built = existsSync(worker) ? Math.max(mtime(gateway), mtime(join(ROOT, 'dist/.tsbuildinfo'))) : 0;
  const sources = Math.max(newestSource(join(ROOT, 'apps')), newestSource(join(ROOT, 'libs')));
  if (existsSync(gateway) && built >= sources) return;
  run('npm', ['run', 'build'], 'building');
}

// ---------- ports and Redis ----------

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer().on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Tries the gateway's port first, so a busy one fails before anything is started. */
function assertPortFree(port) {
  return new Promise((ok, fail) => {
    const server = createServer().once('error', (error) =>
      fail(error.code === 'EADDRINUSE'
        ? new Fatal(`port ${port} is already in use (another Fopflow, or some other server).\n  Pick another: PORT=${port + 1} npm start`)
        : error));
    server.listen(port, or(process.env.HOST, '0.0.0.0'), () => server.close(ok));
  });
}

function redisPing(port) {
  return new Promise((ok) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answer) => (socket.destroy(), ok(answer));
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitUntil(what, probe, timeoutMs, child) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
    if (child && child.exited) throw new Fatal(`${child.name} exited before ${what}`);
    if (await probe().catch(() => false)) return;
  }
  throw new Fatal(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

// ---------- children ----------

const children = [];
let stopping = false;

// If this script is killed outright (SIGKILL), a watchdog holding a pipe from it sees the pipe
// close and stops the children's process groups, so none outlives us.
const WATCHDOG = `process.title = 'fopflow-watchdog';
const groups = new Set();
let buffer = '';
process.stdin.on('data', (data) => {
  const lines = (buffer += data).split('\\n');
  buffer = lines.pop();
  for (const line of lines) line === 'done' ? process.exit(0) : groups[line[0] === '+' ? 'add' : 'delete'](Number(line.slice(1)));
});
const signal = (name) => [...groups].filter((group) => { try { process.kill(-group, name); return true; } catch { return false; } });
process.stdin.on('end', () => {
  signal('SIGTERM');
  const started = Date.now();
  setInterval(() => {
    if (signal(0).length === 0) process.exit(0);
    if (Date.now() - started > 10000) { signal('SIGKILL'); process.exit(0); }
  }, 200);
});`;
let watchdog;
function tellWatchdog(line) {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.stdin.on('error', () => undefined);
  }
  watchdog.stdin.write(`${line}\n`);
}

/** Spawns a child in its own process group (so the terminal's Ctrl-C reaches only us, and we
 *  stop children in order), tagging each output line; `quiet` keeps output for failures only. */
function startChild(name, color, command, args, { env = {}, quiet = false } = {}) {
  if (stopping) throw new Fatal(`not starting ${name}: stopping`);
  const tag = paint(color, `[${name}]`);
  const childEnv = { ...process.env, ...(useColor ? {} : { NO_COLOR: '1' }), ...env };
  const proc = spawn(command, args, { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { name, proc, tail: [], exited: false };
  // 'close' (not 'exit') so the last lines are read first; it also follows a failed spawn.
  child.done = new Promise((ok) => proc.once('close', (code, signal) => ok((child.exited = true, or(code, signal)))));
  proc.once('error', (error) => child.tail.push(`cannot start ${command}: ${error.message}`));
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      child.tail.push(line);
      if (child.tail.length > 20) child.tail.shift();
      if (!quiet) console.log(`${tag} ${line}`);
    });
  }
  if (proc.pid) tellWatchdog(`+${proc.pid}`);
  child.done.then((status) => {
    if (proc.pid) tellWatchdog(`-${proc.pid}`);
    if (stopping) return;
    console.error(`${tag} exited unexpectedly (${status})`);
    if (quiet) printTail(child);
    shutdown(1);
  });
  children.push(child);
  return child;
}

const printTail = (child) => child.tail.forEach((line) => console.error(`${paint('2', `[${child.name}]`)} ${line}`));

async function startRedis(dataDir) {
  const port = await freePort();
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const redis = startChild('redis', '31', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no',
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    '--maxmemory', or(process.env.FOPFLOW_REDIS_MAXMEMORY, REDIS_MAXMEMORY_DEFAULT),
    '--maxmemory-policy', 'noeviction', '--loglevel', 'warning',
  ], { quiet: true });
  await waitUntil(`redis-server on port ${port}`, () => redisPing(port), 10000, redis);
  return `redis://127.0.0.1:${port}`;
}

function signalChild(child, signal, group = false) {
  if (child.exited || !child.proc.pid) return;
  try {
    // SIGKILL takes the whole group (e.g. ffmpeg under a worker); SIGTERM only the app itself,
    // so a worker can finish its active jobs, ffmpeg runs included.
    process.kill(group ? -child.proc.pid : child.proc.pid, signal);
  } catch {}
}

async function stopAll(list, graceMs) {
  list.forEach((child) => signalChild(child, 'SIGTERM'));
  const timer = sleep(graceMs).then(() => 'timeout');
  if ((await Promise.race([Promise.all(list.map((child) => child.done)), timer])) === 'timeout') {
    warn(`${list.filter((c) => !c.exited).map((c) => c.name).join(', ')} still running after ${graceMs / 1000} s: killing`);
    list.forEach((child) => signalChild(child, 'SIGKILL', true));
    await Promise.all(list.map((child) => child.done));
  }
}

let shutdownPromise;
function shutdown(code) {
  if (shutdownPromise) return shutdownPromise;
  shutdownPromise = (async () => {
    stopping = true;
    const apps = children.filter((child) => child.name !== 'redis');
    const redis = children.filter((child) => child.name === 'redis');
    if (apps.length) say('stopping gateway, scaler and its workers (active jobs finish first)…');
    // Without their Redis, workers cannot finish anything: no point in the full grace then.
    await stopAll(apps, redis.some((child) => child.exited) ? 5000 : APP_GRACE_MS);
    // Redis last: workers write their final job states into it. SIGTERM makes it flush its AOF.
    await stopAll(redis, REDIS_GRACE_MS);
    if (watchdog) await new Promise((ok) => watchdog.stdin.end('done\n', ok));
    if (children.length) say(code === 0 ? 'stopped.' : 'stopped after a failure.');
    process.exit(code);
  })();
  return shutdownPromise;
}

// npm forwards the terminal's SIGINT too, so one Ctrl-C can arrive twice: only a later one forces.
let firstSignalAt = 0;
function onSignal(signal) {
  if (!firstSignalAt) {
    firstSignalAt = Date.now();
    console.log('');
    say(`${signal}: shutting down (Ctrl-C again to kill at once)`);
    shutdown(0);
  } else if (Date.now() - firstSignalAt > 1000) {
    warn('killing everything now');
    children.forEach((child) => signalChild(child, 'SIGKILL', true));
    process.exit(1);
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
// Last resort on any exit path (a crash included): no child may outlive this script.
process.on('exit', () => children.forEach((child) => signalChild(child, 'SIGKILL', true)));

// ---------- credentials ----------

/**
 * A development key pair, made once and kept in the data dir so it survives a restart, and the
 * operator token; FOPFLOW_KEYS / FOPFLOW_ADMIN_TOKEN from the environment win.
 */
function devCredentials(dataDir) {
  const file = join(dataDir, 'dev-credentials.json');
  let saved = {};
  if (existsSync(file)) saved = JSON.parse(readFileSync(file, 'utf8'));
  if (!saved.accessKey) {
    saved = { accessKey: `dev-${randomBytes(6).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });
  }
  return {
    keys: process.env.FOPFLOW_KEYS || `${saved.accessKey}:${saved.secretKey}:paid`,
    adminToken: process.env.FOPFLOW_ADMIN_TOKEN || keptAdminToken(dataDir, saved.adminToken),
    adminTokenFile: process.env.FOPFLOW_ADMIN_TOKEN ? undefined : join(dataDir, ADMIN_TOKEN_FILE_NAME),
    devKey: process.env.FOPFLOW_KEYS ? undefined : saved,
  };
}

/**
 * The operator token in `<dataDir>/admin-token`, where the gateway keeps the one it generates
 * and fopctl looks: made here first (mode 0600) so the banner can print it. An older data dir's
 * token from dev-credentials.json moves there unchanged.
 */
function keptAdminToken(dataDir, earlier) {
  const file = join(dataDir, ADMIN_TOKEN_FILE_NAME);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = earlier || randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

// ---------- sample and banner ----------

async function sampleJpeg() {
  const sharp = createRequire(import.meta.url)('sharp');
  const [width, height] = [1600, 1067];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#ff6b6b"/>
      <stop offset="0.5" stop-color="#845ef7"/><stop offset="1" stop-color="#339af0"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <circle cx="1240" cy="260" r="170" fill="#ffd43b" opacity="0.9"/><circle cx="300" cy="820" r="260" fill="#51cf66" opacity="0.6"/>
    <rect x="620" y="560" width="520" height="320" rx="40" fill="#fff" opacity="0.25" transform="rotate(-12 880 720)"/>
    <polygon points="120,140 420,90 330,380" fill="#fcc419" opacity="0.7"/>
    <text x="50%" y="54%" text-anchor="middle" font-family="sans-serif" font-size="200" font-weight="bold" fill="#ffffff">Fopflow</text>
  </svg>`;
  return sharp({ create: { width, height, channels: 3, background: '#1c7ed6' } })
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

async function uploadSample(base, adminToken) {
  const body = await sampleJpeg();
  const headers = { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${adminToken}` };
  const put = await fetch(`${base}/v1/objects/samples/sample.jpg`, { method: 'PUT', body, headers });
  if (!put.ok) throw new Fatal(`uploading the sample failed: ${put.status} ${await put.text()}`);
  const fopUrl = `${base}/samples/sample.jpg?imageView2/1/w/320/h/320`;
  const answer = await fetch(fopUrl).catch((error) => ({ ok: false, status: error.message, headers: new Headers() }));
  const type = or(answer.headers.get('content-type'), '');
  const text = answer.text ? await answer.text() : '';
  if (!answer.ok || !type.startsWith('image/jpeg')) {
    warn(`${'!'.repeat(72)}\n!! the sample fop URL did not work: ${answer.status} ${type} ${answer.ok ? '' : text}`);
    warn(`!! check the [gateway] and [worker] lines above\n${'!'.repeat(72)}`);
  }
  return fopUrl;
}

function printBanner(base, fopUrl, credentials, ufops) {
  const line = paint('1;36', '─'.repeat(72));
  const item = (label, value) => console.log(`  ${label.padEnd(14)} ${paint('1', value)}`);
  console.log(`\n${line}\n  ${paint('1;32', 'Fopflow is running')}\n`);
  item('fop URL', fopUrl);
  item('raw object', `${base}/samples/sample.jpg`);
  item('imageInfo', `${base}/samples/sample.jpg?imageInfo`);
  item('upload', `curl -X PUT --data-binary @photo.jpg -H 'Content-Type: image/jpeg' \\`);
  item('', `  -H 'Authorization: Bearer ${credentials.adminToken}' ${base}/v1/objects/<bucket>/<key>`);
  item('Bull Board', `${base}/admin/queues  (user: any, password: the admin token)`);
  item('console', `${base}/console/  (same login: pools, jobs, UFOP builds)`);
  item('metrics', `${base}/metrics`);
  item('API docs', `${base}/docs  (OpenAPI: ${base}/openapi.json)`);
  item('admin token', credentials.adminToken + (credentials.adminTokenFile ? `  (kept in ${credentials.adminTokenFile})` : ''));
  if (credentials.devKey) item('access key', `${credentials.devKey.accessKey}  secret: ${credentials.devKey.secretKey}  (tier paid)`);
  if (ufops) item('UFOPs', 'npm run fopctl -- init my-ufop  (README: Custom commands)');
  console.log(`\n  Ctrl-C stops everything.\n${line}\n`);
}

// ---------- custom commands (UFOPs) ----------

/**
 * UFOPs run in containers and their images go to a local registry. Both need a Docker engine:
 * when one answers, make sure the base images and the registry are there (the first time this
 * takes a few minutes: Debian is bootstrapped, ffmpeg installed); otherwise say what would enable
 * them and go on — everything else works without Docker.
 */
function ensureUfopSupport() {
  const enable = 'apt-get install -y docker.io debootstrap docker-registry && bash docker/base-image.sh && bash docker/registry.sh';
  if (!onPath('docker') || spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
    warn(`no Docker engine answers: custom commands (UFOPs) are off. To enable them (as root): ${enable}`);
    return false;
  }
  const images = ['fopflow/debian:bookworm', 'fopflow/node:20', 'fopflow/ffmpeg:latest'];
  const missing = images.filter((image) => spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0);
  try {
    if (missing.length) run('bash', ['docker/base-image.sh'], `building the UFOP base images (${missing.join(', ')}; the first time takes a few minutes)`);
    if (!onPath('docker-registry')) throw new Fatal('docker-registry is not installed');
    run('bash', ['docker/registry.sh'], 'starting the local image registry for UFOPs');
    return true;
  } catch (error) {
    warn(`custom commands (UFOPs) are off: ${error.message}. To enable them (as root): ${enable}`);
    return false;
  }
}

// ---------- main ----------

async function main() {
  checkNode();
  ensureDependencies();
  ensureTools();
  ensureBuild();

  let port = Number(or(process.env.PORT, 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Fatal(`PORT must be a port number, got '${process.env.PORT}'`);
  if (port === 0) port = await freePort(); // as the gateway reads PORT=0: any free port
  const dataDir = resolve(ROOT, or(process.env.FOPFLOW_DATA_DIR, '.data'));
  await assertPortFree(port);

  const ufops = ensureUfopSupport();
  const redisUrl = process.env.REDIS_URL || (await startRedis(dataDir));
  const credentials = devCredentials(dataDir);
  const env = {
    PORT: String(port),
    REDIS_URL: redisUrl,
    FOPFLOW_DATA_DIR: dataDir,
    FOPFLOW_KEYS: credentials.keys,
    // A terminal reads pretty lines; deployments keep the JSON default (one object a line).
    FOPFLOW_LOG_FORMAT: process.env.FOPFLOW_LOG_FORMAT || 'pretty',
    // No FOPFLOW_ADMIN_TOKEN here: the gateway reads <dataDir>/admin-token, and workers never see it.
  };
  const gateway = startChild('gateway', '36', process.execPath, ['dist/apps/gateway/src/main.js'], { env });
  // The scaler runs the workers: each pool's minimum at once, more while a backlog lasts.
  startChild('scaler', '35', process.execPath, ['dist/apps/scaler/src/main.js'], { env: { ...env, FOPFLOW_RUNTIME: 'process' } });

  const base = `http://127.0.0.1:${port}`;
  try {
    const ready = async () => (await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
    await waitUntil(`${base}/ready`, ready, READY_TIMEOUT_MS, gateway);
  } catch (error) {
    if (stopping) throw error;
    say('last lines of each process:');
    children.forEach(printTail);
    if (process.env.REDIS_URL) warn(`is REDIS_URL (${process.env.REDIS_URL}) reachable?`);
    throw error;
  }
  printBanner(base, await uploadSample(base, credentials.adminToken), credentials, ufops);
}

main().catch((error) => {
  if (stopping) return;
  console.error(`${paint('1;31', '[fopflow]')} ${error instanceof Fatal ? error.message : error.stack}`);
  shutdown(1);
});
