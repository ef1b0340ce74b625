import { Command, InvalidArgumentError } from 'commander';

/** Where fopctl talks to, and how it proves it may. */
export interface FopctlOptions {
  url: string;
  token?: string;
  /** Output sink (tests capture it). */
  print: (text: string) => void;
  fetch?: typeof fetch;
}

interface PoolView {
  name: string;
  settings: { minInstances: number; maxInstances: number; version: string };
  state: { version?: string; pinnedInstances?: number };
  decision?: { pending: number; desired: number; ready: number; starting: number; draining: number };
  instances: Array<{ id: string; version: string; state: string; inFlight: number }>;
}

const wholeNumber = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
};

/**
 * `fopctl`: pools, instances, resize and upgrade against a gateway — Qiniu's `qufopctl resize -n`
 * and gray upgrades, for Fopflow's pools. Answers are printed as a table; errors name the cause.
 */
export function buildFopctl(options: FopctlOptions): Command {
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await (options.fetch ?? fetch)(`${options.url}${path}`, {
      method,
      headers: { ...(options.token && { Authorization: `Bearer ${options.token}` }), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((error: Error & { cause?: Error }) => {
      throw new Error(`cannot reach ${options.url} (${error.cause?.message ?? error.message}); set FOPFLOW_URL`);
    });
    const text = await answer.text();
    const json = text ? JSON.parse(text) : {};
    if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${json.error ?? text}`);
    return json;
  };
  const program = new Command('fopctl').description('Operate Fopflow pools and instances').exitOverride();
  program.configureOutput({ writeOut: options.print, writeErr: options.print });

  program
    .command('pools')
    .description('pools with their size, version and backlog')
    .action(async () => {
      const { items } = (await call('GET', '/v1/pools')) as { items: PoolView[] };
      options.print(table(
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
      options.print(table(
        ['ID', 'POOL', 'VERSION', 'RUNTIME', 'STATE', 'IN FLIGHT'],
        items.filter((item) => !pool || item.pool === pool).map((item) => [item.id, item.pool, item.version, item.runtime, item.state, item.inFlight]),
      ));
    });

  program
    .command('resize <pool>')
    .description('pin a pool at n instances, or return it to autoscaling with --auto')
    .option('-n, --instances <n>', 'instances to keep', wholeNumber)
    .option('--auto', 'let the scaler decide again')
    .action(async (pool: string, { instances, auto }: { instances?: number; auto?: boolean }) => {
      if (Boolean(auto) === (instances !== undefined)) throw new InvalidArgumentError('give either -n <instances> or --auto');
      await (auto ? call('DELETE', `/v1/pools/${pool}/resize`) : call('POST', `/v1/pools/${pool}/resize`, { instances }));
      options.print(auto ? `${pool}: autoscaling` : `${pool}: pinned at ${instances}`);
    });

  program
    .command('upgrade <pool> <version>')
    .description('gray upgrade: new instances warm up, then old ones retire one by one')
    .option('-i, --image <image>', 'worker image of the new version (docker, swarm)')
    .action(async (pool: string, version: string, { image }: { image?: string }) => {
      await call('POST', `/v1/pools/${pool}/upgrade`, { version, ...(image && { image }) });
      options.print(`${pool}: upgrading to ${version}`);
    });

  return program;
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}
