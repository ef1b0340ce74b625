import { promises as fs } from 'node:fs';
import { relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command, InvalidArgumentError } from 'commander';
import { MAX_UFOP_UPLOAD_BYTES, packDirectory, TarEntry, writeTar, writeUfopTemplate } from '@fopflow/ufop';
import type { GatewayCall } from './fopctl';
import { table, wholeNumber } from './fopctl';

interface VersionView {
  version: string;
  state: string;
  createdAt: number;
  image?: string;
  error?: string;
}

interface CommandView {
  name: string;
  kind: string;
  owner: string;
  mode: string;
  flavor: string;
  description: string;
  currentVersion?: string;
  instances?: number;
  maxInstances: number;
  timeoutMs: number;
  pool: string;
  versions: VersionView[];
  remote?: Record<string, unknown>;
  live?: Array<{ id: string; version: string; state: string; inFlight: number }>;
}

/** How often `build` looks at a running build's log, ms. */
const FOLLOW_INTERVAL_MS = 1000;

/**
 * Qiniu's `qufopctl` verbs for custom commands: reg, unreg, list, info, build, versions,
 * use-version, logs, init (resize and upgrade live in fopctl.ts, shared with pools).
 */
export function addUfopCommands(program: Command, call: GatewayCall, print: (text: string) => void): void {
  program
    .command('put <target> <file>')
    .description('upload a file as <bucket>/<key>, signed with your key pair (the bucket becomes yours)')
    .action(async (target: string, file: string) => {
      const slash = target.indexOf('/');
      if (slash <= 0 || slash === target.length - 1) throw new InvalidArgumentError('target is <bucket>/<key>');
      const body = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new InvalidArgumentError(`cannot read ${file}: ${error.code ?? error.message}`);
      });
      // The type is sniffed from the bytes on the way in; octet-stream also keeps the bytes out of the signature.
      const path = `/v1/objects/${target.slice(0, slash)}/${target.slice(slash + 1).split('/').map(encodeURIComponent).join('/')}`;
      const stored = (await call('PUT', path, body, 'application/octet-stream')) as { bucket: string; key: string; size: number; mime: string };
      print(`${stored.bucket}/${stored.key}: ${stored.size} bytes, ${stored.mime}`);
    });

  program
    .command('init <dir>')
    .description('write a new UFOP (Node) into <dir>: ufop.yaml, server.js, README.md')
    .option('--name <name>', 'the UFOP name to write into the files', 'my-ufop')
    .action(async (dir: string, { name }: { name: string }) => {
      const written = writeUfopTemplate(resolve(dir), name);
      print(`wrote ${written.map((path) => relative(process.cwd(), path) || path).join(', ')}\nnext: fopctl reg ${name} -m 2 && fopctl build ${name} ${dir}`);
    });

  program
    .command('reg <name>')
    .description('register a custom command: a UFOP (or, for the operator, a third-party service with --url)')
    .option('-m, --mode <mode>', '1 public (every account may run it), 2 private (only yours)', '2')
    .option('-f, --flavor <flavor>', 'CPU and memory of each instance, e.g. C1M1 (1 core, 1 GiB)')
    .option('-d, --desc <text>', 'one line saying what it does')
    .option('--max <n>', 'most instances while autoscaling', wholeNumber)
    .option('--timeout <ms>', 'longest one request may take', wholeNumber)
    .option('--url <url>', 'third-party service: its POST endpoint')
    .option('--header <header>', "third-party service: an auth header, 'Name: value'")
    .option('--allow-host <host...>', 'third-party service: hosts it (and its redirects) may reach; default the URL host')
    .option('--rate <n>', 'third-party service: most requests per second', Number)
    .action(async (name: string, options: Record<string, string | number | string[] | undefined>) => {
      const mode = Number(options.mode);
      if (mode !== 1 && mode !== 2) throw new InvalidArgumentError('-m is 1 (public) or 2 (private)');
      const remote = options.url === undefined ? undefined : remoteSettings(options);
      const record = (await call('POST', '/v1/ufops', {
        name,
        mode,
        ...(options.flavor !== undefined && { flavor: options.flavor }),
        ...(options.desc !== undefined && { description: options.desc }),
        ...(options.max !== undefined && { maxInstances: options.max }),
        ...(options.timeout !== undefined && !remote && { timeoutMs: options.timeout }),
        ...(remote && { remote }),
      })) as CommandView;
      print(`${record.name}: registered (${record.kind}, ${record.mode}, ${record.flavor})`);
    });

  program
    .command('unreg <name>')
    .description('unregister a custom command: its instances stop, its builds are deleted')
    .action(async (name: string) => {
      await call('DELETE', `/v1/ufops/${name}`);
      print(`${name}: unregistered`);
    });

  program
    .command('list')
    .description('your custom commands and the public ones')
    .action(async () => {
      const { items } = (await call('GET', '/v1/ufops')) as { items: CommandView[] };
      print(table(
        ['NAME', 'KIND', 'MODE', 'FLAVOR', 'VERSION', 'INSTANCES', 'OWNER'],
        items.map((item) => [item.name, item.kind, item.mode, item.flavor, item.currentVersion ?? '-', item.instances ?? 'auto', item.owner]),
      ));
    });

  program
    .command('info <name>')
    .description('one custom command: settings, versions and live instances')
    .action(async (name: string) => {
      const item = (await call('GET', `/v1/ufops/${name}`)) as CommandView;
      const lines = [
        `name:        ${item.name} (${item.kind}, ${item.mode})`,
        `owner:       ${item.owner}`,
        `flavor:      ${item.flavor}`,
        `version:     ${item.currentVersion ?? 'none built yet'}`,
        `instances:   ${item.instances ?? `auto (0-${item.maxInstances})`}`,
        `timeout:     ${item.timeoutMs} ms`,
        ...(item.description ? [`description: ${item.description}`] : []),
        ...(item.remote ? [`service:     ${String(item.remote.url)}`] : []),
        '',
        table(['INSTANCE', 'VERSION', 'STATE', 'IN FLIGHT'], (item.live ?? []).map((live) => [live.id, live.version, live.state, live.inFlight])),
      ];
      print(lines.join('\n'));
    });

  program
    .command('build <name> <dir>')
    .description('pack <dir> (ufop.yaml at its root) and build it as the next version')
    .option('--no-wait', 'return once the upload is queued instead of following the build')
    .action(async (name: string, dir: string, { wait }: { wait: boolean }) => {
      const tarball = gzipSync(writeTar(await packUfop(resolve(dir))));
      if (tarball.length > MAX_UFOP_UPLOAD_BYTES) throw new InvalidArgumentError(`${dir} packs to ${tarball.length} bytes; at most ${MAX_UFOP_UPLOAD_BYTES}`);
      const { version } = (await call('POST', `/v1/ufops/${name}/builds`, tarball, 'application/gzip')) as { version: string };
      print(`${name}: version ${version} queued (${tarball.length} bytes)`);
      if (!wait) return;
      const state = await followBuild(call, print, name, version);
      if (state !== 'ready') throw new Error(`${name}: version ${version} failed to build (fopctl logs ${name} -v ${version})`);
      const current = ((await call('GET', `/v1/ufops/${name}/versions`)) as { current?: string }).current;
      print(current === version ? `${name}: version ${version} is ready and current` : `${name}: version ${version} is ready; run it with fopctl upgrade ${name}`);
    });

  program
    .command('versions <name>')
    .description('builds of a custom command; * marks the one instances run')
    .action(async (name: string) => {
      const { current, items } = (await call('GET', `/v1/ufops/${name}/versions`)) as { current?: string; items: VersionView[] };
      print(table(
        ['VERSION', 'STATE', 'CREATED', 'IMAGE', 'ERROR'],
        items.map((item) => [`${item.version}${item.version === current ? ' *' : ''}`, item.state, new Date(item.createdAt).toISOString(), item.image ?? '-', item.error ?? '']),
      ));
    });

  program
    .command('use-version <name> <version>')
    .description('run <version> (gray: it warms up, then the old instances finish and retire); also a rollback')
    .action(async (name: string, version: string) => {
      await call('PUT', `/v1/ufops/${name}/version`, { version });
      print(`${name}: moving to version ${version}`);
    });

  program
    .command('logs <name>')
    .description("build log of a version (default the newest), or with --run what the program's instances printed")
    .option('-v, --version <version>', 'which version')
    .option('--run', "the running program's output, per instance")
    .action(async (name: string, { version, run }: { version?: string; run?: boolean }) => {
      if (run) {
        const { items } = (await call('GET', `/v1/ufops/${name}/logs`)) as { items: Array<{ instance: string; version: string; at: number; lines: string[] }> };
        if (items.length === 0) return print(`${name}: no instance has run yet`);
        return print(items.map((item) => [`--- ${item.instance} (version ${item.version}, ${new Date(item.at).toISOString()})`, ...item.lines].join('\n')).join('\n'));
      }
      const chosen = version ?? ((await call('GET', `/v1/ufops/${name}/versions`)) as { items: VersionView[] }).items.at(-1)?.version;
      if (!chosen) throw new InvalidArgumentError(`'${name}' has no builds yet: fopctl build ${name} <dir>`);
      const { state, lines } = (await call('GET', `/v1/ufops/${name}/versions/${chosen}/log`)) as { state: string; lines: string[] };
      print([...lines, `(version ${chosen}: ${state})`].join('\n'));
    });
}

function remoteSettings(options: Record<string, string | number | string[] | undefined>): Record<string, unknown> {
  const url = String(options.url);
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new InvalidArgumentError(`--url: '${url}' is not a URL`);
  }
  const header = options.header === undefined ? undefined : /^([^:\s]+):\s*(.*)$/.exec(String(options.header));
  if (options.header !== undefined && !header) throw new InvalidArgumentError("--header is 'Name: value'");
  return {
    url,
    allowedHosts: (options.allowHost as string[] | undefined) ?? [host],
    ...(header && { authHeader: { name: header[1], value: header[2] } }),
    ...(options.timeout !== undefined && { timeoutMs: options.timeout }),
    ...(options.rate !== undefined && { ratePerS: options.rate }),
  };
}

/** A UFOP's directory as an upload: its files (not .git, node_modules), with ufop.yaml at the root. */
async function packUfop(root: string): Promise<TarEntry[]> {
  const entries = await packDirectory(root).catch((error: NodeJS.ErrnoException) => {
    throw new InvalidArgumentError(`cannot read ${root}: ${error.code ?? error.message}`);
  });
  if (!entries.some((entry) => entry.name === 'ufop.yaml')) throw new InvalidArgumentError(`${root} has no ufop.yaml at its root (fopctl init makes one)`);
  return entries;
}

/** Prints the build log as it grows; resolves with the final state. */
async function followBuild(call: GatewayCall, print: (text: string) => void, name: string, version: string): Promise<string> {
  let shown = 0;
  for (;;) {
    const { state, lines } = (await call('GET', `/v1/ufops/${name}/versions/${version}/log`)) as { state: string; lines: string[] };
    if (lines.length > shown) print(lines.slice(shown).join('\n'));
    shown = Math.max(shown, lines.length);
    if (state === 'ready' || state === 'failed') return state;
    await new Promise((done) => setTimeout(done, FOLLOW_INTERVAL_MS));
  }
}
