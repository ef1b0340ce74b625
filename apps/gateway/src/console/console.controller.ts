import { Controller, Get, Header, Param, Query, Res } from '@nestjs/common';
import { InstanceRecord, Keeper, PoolDecision, PoolStateStore } from '@fopflow/keeper';
import { JobStatus, PersistentJobStore } from '@fopflow/jobs';
import { CommandCatalog, CommandRegistry } from '@fopflow/ufop';
import type { Response } from 'express';
import { GatewayError } from '../http/error.filter';
import { PoolCatalog } from '../pools/pool-catalog';
import { CONSOLE_HTML } from './console.page';
import { CONSOLE_SCRIPT } from './console.script';

/** Jobs the console shows at most (across every access key), newest first. */
export const CONSOLE_MAX_JOBS = 100;

/** How far back the scaler chart reaches by default, in seconds. */
export const CONSOLE_HISTORY_S = 300;

/** The most the chart may reach back, in seconds (the store keeps about 10 minutes at a 1 s tick). */
export const CONSOLE_MAX_HISTORY_S = 3600;

/** A pool as the console draws it: its size limits, the last decision and the ones before, its instances. */
export interface ConsolePool {
  name: string;
  minInstances?: number;
  maxInstances?: number;
  decision?: PoolDecision;
  history: PoolDecision[];
  instances: InstanceRecord[];
}

/** One UFOP build (a version) as the console lists it. */
export interface ConsoleBuild {
  name: string;
  owner: string;
  version: string;
  state: string;
  createdAt: number;
  current: boolean;
  error?: string;
}

/**
 * The operator's web console (`/console`, behind the admin token like Bull Board): one page of
 * plain HTML and JS that polls `/console/api/overview` and draws pools, the scaler's decisions,
 * jobs of every key and UFOP builds.
 */
@Controller('console')
export class ConsoleController {
  private readonly registry: CommandRegistry;

  constructor(
    private readonly catalog: PoolCatalog,
    private readonly keeper: Keeper,
    private readonly state: PoolStateStore,
    private readonly jobs: PersistentJobStore,
    commands: CommandCatalog,
  ) {
    this.registry = commands.registry;
  }

  /** The page; relative links below assume the trailing slash. */
  @Get()
  page(@Res() res: Response): void {
    if (!res.req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, '/console/');
    res.type('html').send(CONSOLE_HTML);
  }

  @Get('console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return CONSOLE_SCRIPT;
  }

  /** Everything the page draws, in one answer per refresh. */
  @Get('api/overview')
  async overview(@Query('sinceS') sinceS = String(CONSOLE_HISTORY_S), @Query('limit') limit = String(CONSOLE_MAX_JOBS)) {
    const reach = Number(sinceS);
    if (!Number.isInteger(reach) || reach < 1 || reach > CONSOLE_MAX_HISTORY_S) throw new GatewayError(400, `sinceS must be 1 to ${CONSOLE_MAX_HISTORY_S}, got '${sinceS}'`);
    const count = Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > CONSOLE_MAX_JOBS) throw new GatewayError(400, `limit must be 1 to ${CONSOLE_MAX_JOBS}, got '${limit}'`);
    const [pools, jobs, builds] = await Promise.all([this.pools(Date.now() - reach * 1000), this.recentJobs(count), this.builds()]);
    return { at: Date.now(), pools, jobs, builds };
  }

  /** A build's log, as the builder wrote it. */
  @Get('api/builds/:name/:version/log')
  async buildLog(@Param('name') name: string, @Param('version') version: string): Promise<{ state: string; lines: string[] }> {
    const record = await this.registry.get(name);
    const entry = record?.versions.find((candidate) => candidate.version === version);
    if (!record || !entry) throw new GatewayError(404, `no build '${name}' version '${version}'`);
    return { state: entry.state, lines: await this.registry.buildLog(name, version) };
  }

  private async pools(sinceMs: number): Promise<ConsolePool[]> {
    const [decisions, instances] = await Promise.all([this.state.decisions(), this.keeper.instances()]);
    // Configured pools first, then the custom commands' pools the scaler has decided on.
    const names = [...new Set([...Object.keys(this.catalog.pools), ...Object.keys(decisions).sort()])];
    return Promise.all(
      names.map(async (name) => ({
        name,
        minInstances: this.catalog.pools[name]?.minInstances,
        maxInstances: this.catalog.pools[name]?.maxInstances,
        ...(decisions[name] && { decision: decisions[name] }),
        history: await this.state.decisionHistory(name, sinceMs),
        instances: instances.filter((instance) => instance.pool === name),
      })),
    );
  }

  private async recentJobs(limit: number): Promise<Array<JobStatus & { owner: string }>> {
    const refs = await this.jobs.listAll(limit);
    const statuses = await Promise.all(refs.map(async (ref) => ({ ref, status: await this.jobs.status(ref.id) })));
    return statuses.filter(({ status }) => status).map(({ ref, status }) => ({ ...status!, owner: ref.owner }));
  }

  private async builds(): Promise<ConsoleBuild[]> {
    const records = await this.registry.list();
    return records
      .filter((record) => record.kind === 'ufop')
      .flatMap((record) =>
        record.versions.map((version) => ({
          name: record.name,
          owner: record.owner,
          version: version.version,
          state: version.state,
          createdAt: version.createdAt,
          current: version.version === record.currentVersion,
          ...(version.error && { error: version.error }),
        })),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
  }
}
