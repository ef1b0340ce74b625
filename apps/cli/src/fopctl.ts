import { AccessKey, qiniuAuthHeaders } from '@fopflow/auth';
import { Command, InvalidArgumentError } from 'commander';
import { addJobCommands } from './fopctl-jobs';
import { addStyleCommands } from './fopctl-style';
import { addUfopCommands } from './fopctl-ufop';
import { addUploadCommands } from './fopctl-upload';

/** Where fopctl talks to, and how it proves it may. */
export interface FopctlOptions {
  url: string;
  /** The operator's admin token (pools, instances, third-party commands). */
  token?: string;
  /** An access key pair: calls are then signed with it (a user's UFOPs). */
  key?: Pick<AccessKey, 'accessKey' | 'secretKey'>;
  /** Output sink (tests capture it). */
  print: (text: string) => void;
  /** Where `jobs wait` draws its progress bar; each call replaces the last line (default: nowhere). */
  progress?: (line: string) => void;
  /** How `jobs wait` pauses between polls (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** One call to the gateway: JSON (or raw bytes) in, JSON out; a failure names status and cause. */
export type GatewayCall = (method: string, path: string, body?: unknown, contentType?: string, extraHeaders?: Record<string, string>) => Promise<any>;

/** A gateway answer that was not 2xx. */
export class GatewayCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface PoolView {
  name: string;
  settings: { minInstances: number; maxInstances: number; version: string };
  state: { version?: string; pinnedInstances?: number };
  decision?: { pending: number; desired: number; ready: number; starting: number; draining: number };
  instances: Array<{ id: string; version: string; state: string; inFlight: number }>;
}

export const wholeNumber = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
};

/**
 * `fopctl`: pools, instances, resize and upgrade against a gateway — Qiniu's `qufopctl resize -n`
 * and gray upgrades, for Fopflow's pools. Answers are printed as a table; errors name the cause.
 */
export function buildFopctl(options: FopctlOptions): Command {
  // --json: a command's text is held back and the gateway's last answer printed instead.
  const output = { json: false, answered: undefined as unknown, held: [] as string[] };
  const print = (text: string): void => {
    if (output.json) output.held.push(text);
    else options.print(text);
  };
  const call: GatewayCall = async (method, path, body, contentType = 'application/json', extraHeaders = {}) => {
    const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { ...extraHeaders, ...(bytes && { 'Content-Type': contentType }) };
    if (options.key) {
      // Qiniu's v2 signature with a fresh X-Qiniu-Date: bound to this method, body and moment.
      const url = new URL(`${options.url}${path}`);
      Object.assign(
        headers,
        qiniuAuthHeaders(
          { method, path: `${url.pathname}${url.search}`, host: url.host, headers: { 'content-type': headers['Content-Type'] }, body: bytes ?? Buffer.alloc(0) },
          { ...options.key, tier: '' } as AccessKey,
        ),
      );
    } else if (options.token) {
      headers.Authorization = `Bearer ${options.token}`;
    }
    const answer = await (options.fetch ?? fetch)(`${options.url}${path}`, { method, headers, body: bytes }).catch((error: Error & { cause?: Error }) => {
      throw new Error(`cannot reach ${options.url} (${error.cause?.message ?? error.message}); set FOPFLOW_URL`);
    });
    const text = await answer.text();
    let json: any = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { error: text };
    }
    // Jobs and objects belong to an access key: the admin token alone cannot sign for them.
    const hint = answer.status === 401 && !options.key ? ' (set FOPFLOW_ACCESS_KEY and FOPFLOW_SECRET_KEY)' : '';
    if (!answer.ok) throw new GatewayCallError(`${method} ${path}: ${answer.status} ${json.error ?? text}${hint}`, answer.status);
    output.answered = json;
    return json;
  };
  const program = new Command('fopctl').description('Operate Fopflow: async jobs, custom commands (UFOPs), pools and instances').exitOverride();
  program.configureOutput({ writeOut: options.print, writeErr: options.print });
  program
    .hook('preAction', (_program, command) => {
      // The job commands print their own JSON (the gateway's answer, or the final status of a wait).
      output.json = command.parent?.name() !== 'jobs' && Boolean(command.opts().json);
      output.answered = undefined;
      output.held = [];
    })
    .hook('postAction', () => {
      // A command that asked the gateway nothing (init) has only its text to give.
      if (output.json) options.print(output.answered === undefined ? output.held.join('\n') : JSON.stringify(output.answered, null, 2));
    });

  program
    .command('pools')
    .description('pools with their size, version and backlog')
    .action(async () => {
      const { items } = (await call('GET', '/v1/pools')) as { items: PoolView[] };
      print(table(
        ['POOL', 'VERSION', 'MIN', 'MAX', 'PINNED', 'PENDING', 'DESIRED', 'READY', 'STARTING', 'DRAINING'],
        items.map((pool) => [
          pool.name,
          pool.state.version ?? pool.settings.version,
          pool.settings.minInstances,
          pool.settings.maxInstances,
          pool.state.pinnedInstances ?? '-',
          pool.decision?.pending ?? '-',
          pool.decision?.desired ?? '-',
          pool.decision?.ready ?? '-',
          pool.decision?.starting ?? '-',
          pool.decision?.draining ?? '-',
        ]),
      ));
    });

  program
    .command('instances')
    .description('live worker instances')
    .option('-p, --pool <pool>', 'only this pool')
    .action(async ({ pool }: { pool?: string }) => {
      const { items } = (await call('GET', '/v1/instances')) as { items: Array<PoolView['instances'][number] & { pool: string; runtime: string }> };
      print(table(
        ['ID', 'POOL', 'VERSION', 'RUNTIME', 'STATE', 'IN FLIGHT'],
        items.filter((item) => !pool || item.pool === pool).map((item) => [item.id, item.pool, item.version, item.runtime, item.state, item.inFlight]),
      ));
    });

  program
    .command('resize <name>')
    .description('pin a custom command or pool at n instances (0 stops them), or return it to autoscaling with --auto')
    .option('-n, --instances <n>', 'instances to keep', wholeNumber)
    .option('--auto', 'let the scaler decide again')
    .option('--max <n>', 'with --auto: most instances of a custom command', wholeNumber)
    .action(async (name: string, { instances, auto, max }: { instances?: number; auto?: boolean; max?: number }) => {
      if (Boolean(auto) === (instances !== undefined)) throw new InvalidArgumentError('give either -n <instances> or --auto');
      const custom = await orPool(() => call('POST', `/v1/ufops/${name}/resize`, auto ? { auto: true, ...(max && { maxInstances: max }) } : { instances }));
      if (!custom) await (auto ? call('DELETE', `/v1/pools/${name}/resize`) : call('POST', `/v1/pools/${name}/resize`, { instances }));
      print(auto ? `${name}: autoscaling` : `${name}: pinned at ${instances}`);
    });

  program
    .command('upgrade <name> [version]')
    .description('gray upgrade: new instances warm up, then old ones retire one by one (a custom command: to its newest build)')
    .option('-i, --image <image>', 'a pool: worker image of the new version (docker, swarm)')
    .action(async (name: string, version: string | undefined, { image }: { image?: string }) => {
      const custom = await orPool(() => (version ? call('PUT', `/v1/ufops/${name}/version`, { version }) : call('POST', `/v1/ufops/${name}/upgrade`)));
      if (custom) return print(`${name}: upgrading to version ${custom.currentVersion}`);
      if (!version) throw new InvalidArgumentError(`'${name}' is not a custom command; a pool's upgrade needs <version>`);
      await call('POST', `/v1/pools/${name}/upgrade`, { version, ...(image && { image }) });
      print(`${name}: upgrading to ${version}`);
    });

  addUfopCommands(program, call, print);
  addJobCommands(program, call, {
    print: options.print,
    progress: options.progress ?? (() => undefined),
    sleep: options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms))),
  });
  addUploadCommands(program, options);
  addStyleCommands(program, call, print);

  withJsonOption(program);
  return program;
}

/** Gives every command that lacks one a --json option (the gateway's answer, unformatted). */
function withJsonOption(command: Command): void {
  for (const sub of command.commands) {
    if (sub.commands.length > 0) withJsonOption(sub);
    else if (!sub.options.some((option) => option.long === '--json')) sub.option('--json', "print the gateway's answer as JSON");
  }
}

/** Runs a custom-command call; undefined when no such command exists (the name is then a pool's). */
async function orPool<T>(attempt: () => Promise<T>): Promise<T | undefined> {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof GatewayCallError && error.status === 404 && /no custom command/.test(error.message)) return undefined;
    throw error;
  }
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}
