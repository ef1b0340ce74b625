import { Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { InstanceRecord, Keeper, PoolDecision, PoolSettings, PoolState, PoolStateStore } from '@fopflow/keeper';
import type { Request } from 'express';
import { GatewayError } from '../http/error.filter';
import { parseJsonObject, readRawBody } from '../http/raw-body';
import { poolResizeSchema, poolUpgradeSchema } from './pool.schemas';
import { PoolCatalog } from './pool-catalog';

/** A pool as operators see it: its settings, what was changed at run time, the last decision. */
export interface PoolView {
  name: string;
  settings: PoolSettings;
  state: PoolState;
  decision?: PoolDecision;
  instances: InstanceRecord[];
}

/**
 * Operator endpoints (behind FOPFLOW_ADMIN_TOKEN): pools, instances and discovery; a manual
 * size (Qiniu's `resize -n`) and gray upgrades.
 */
@Controller('v1')
export class PoolsController {
  private readonly pools: Record<string, PoolSettings>;

  constructor(
    catalog: PoolCatalog,
    private readonly keeper: Keeper,
    private readonly state: PoolStateStore,
  ) {
    this.pools = catalog.pools;
  }

  @Get('pools')
  async list(): Promise<{ items: PoolView[] }> {
    const [decisions, instances] = await Promise.all([this.state.decisions(), this.keeper.instances()]);
    const items = await Promise.all(
      Object.entries(this.pools).map(async ([name, settings]) => ({
        name,
        settings,
        state: await this.state.get(name),
        ...(decisions[name] && { decision: decisions[name] }),
        instances: instances.filter((instance) => instance.pool === name),
      })),
    );
    return { items };
  }

  /** Pins the pool at `instances` (0 to maxInstances); the scaler keeps it there. */
  @Post('pools/:pool/resize')
  async resize(@Param('pool') pool: string, @Req() req: Request): Promise<PoolState> {
    const settings = this.pool(pool);
    const body = poolResizeSchema.safeParse(parseJsonObject(await readRawBody(req)));
    if (!body.success || body.data.instances > settings.maxInstances) throw new GatewayError(400, `instances must be a whole number from 0 to maxInstances ${settings.maxInstances}`);
    return this.state.update(pool, (state) => ({ ...state, pinnedInstances: body.data.instances }));
  }

  /** Returns the pool to autoscaling. */
  @Delete('pools/:pool/resize')
  async unpin(@Param('pool') pool: string): Promise<PoolState> {
    this.pool(pool);
    return this.state.update(pool, ({ pinnedInstances: _pinned, ...state }) => state);
  }

  /** Starts a gray upgrade: new instances of `version` (and `image`) warm up, then old ones retire one by one. */
  @Post('pools/:pool/upgrade')
  async upgrade(@Param('pool') pool: string, @Req() req: Request): Promise<PoolState> {
    this.pool(pool);
    const body = poolUpgradeSchema.safeParse(parseJsonObject(await readRawBody(req)));
    if (!body.success) throw new GatewayError(400, 'version is required: 1-64 of A-Z a-z 0-9 . _ -; image is optional');
    return this.state.update(pool, (state) => ({ ...state, version: body.data.version, ...(body.data.image && { image: body.data.image }) }));
  }

  @Get('instances')
  async instances(): Promise<{ items: InstanceRecord[] }> {
    return { items: await this.keeper.instances() };
  }

  /** Command → ready instances running it. */
  @Get('discovery')
  discovery(): Promise<Record<string, string[]>> {
    return this.keeper.discovery();
  }

  private pool(name: string): PoolSettings {
    const settings = this.pools[name];
    if (!settings) throw new GatewayError(404, `no such pool '${name}' (pools: ${Object.keys(this.pools).join(', ')})`);
    return settings;
  }
}
