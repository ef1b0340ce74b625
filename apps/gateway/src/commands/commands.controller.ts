import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { InstanceRecord, Keeper } from '@fopflow/keeper';
import { JobDispatcher } from '@fopflow/queue';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import {
  CommandCatalog,
  CommandRecord,
  CommandRegistry,
  commandPool,
  FLAVORS,
  MAX_UFOP_UPLOAD_BYTES,
  parseRemoteCommand,
  PLATFORM_OWNER,
  RunLog,
  UFOP_UPLOAD_BUCKET,
  readUploadManifest,
} from '@fopflow/ufop';
import type { Request } from 'express';
import { Account, OPERATOR_ACCOUNT } from '@fopflow/auth';
import { AccessPolicy } from '../auth/access.policy';
import { GatewayError } from '../http/error.filter';
import { describeIssues, parseJsonObject, readRawBody } from '../http/raw-body';
import { commandResizeSchema, registrationSchema, useVersionSchema } from './command.schemas';
import { checkCommandCount, checkInstanceRequest } from './command-quota';

/** What a caller sees of a command: a remote command's credentials never leave the gateway. */
export type CommandView = Omit<CommandRecord, 'remote'> & { pool: string; remote?: Record<string, unknown> };

function view(record: CommandRecord): CommandView {
  const { remote, ...rest } = record;
  const shown = remote && { ...remote, ...(remote.authHeader ? { authHeader: { name: (remote.authHeader as { name: string }).name, value: '(hidden)' } } : {}) };
  return { ...rest, pool: commandPool(record), ...(shown && { remote: shown }) };
}

/**
 * Custom commands (Qiniu's `qufopctl`): register a UFOP, upload builds, switch versions, resize;
 * an operator also registers third-party services. Calls are signed with an access key (or carry
 * the admin token); a command is managed by the key that registered it.
 */
@Controller('v1/ufops')
export class CommandsController {
  private readonly registry: CommandRegistry;

  constructor(
    private readonly catalog: CommandCatalog,
    private readonly access: AccessPolicy,
    private readonly keeper: Keeper,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly dispatcher: JobDispatcher,
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
  ) {
    this.registry = catalog.registry;
  }

  @Post()
  @HttpCode(201)
  async register(@Req() req: Request): Promise<CommandView> {
    const body = await readRawBody(req);
    const account = this.access.caller(req, body);
    const parsed = registrationSchema.safeParse(parseJsonObject(body));
    if (!parsed.success) throw new GatewayError(400, describeIssues(parsed.error.issues));
    const input = parsed.data;
    if (!FLAVORS[input.flavor]) throw new GatewayError(400, `flavor: '${input.flavor}' is not one of ${Object.keys(FLAVORS).join(', ')}`);
    if (input.remote && account !== OPERATOR_ACCOUNT) throw new GatewayError(403, 'remote: only the operator registers third-party services');
    const remote = input.remote && parseRemoteCommand(input.remote);
    const capped = cappedAccount(account);
    const records = await this.registry.list();
    checkCommandCount(records, capped, this.config.ufop);
    if (!remote) checkInstanceRequest(records, { name: input.name, account: capped, instances: input.maxInstances }, this.config.ufop);
    const record = await this.registry.register({
      name: input.name,
      kind: remote ? 'remote' : 'ufop',
      owner: account,
      mode: input.mode === 1 || input.mode === 'public' ? 'public' : 'private',
      flavor: input.flavor,
      description: input.description,
      maxInstances: input.maxInstances,
      timeoutMs: remote ? remote.timeoutMs : input.timeoutMs,
      ...(remote && { remote: remote as unknown as Record<string, unknown> }),
    });
    await this.catalog.refresh();
    return view(record);
  }

  /** The caller's commands and every public one (the operator sees all). */
  @Get()
  async list(@Req() req: Request): Promise<{ items: CommandView[] }> {
    const account = this.access.caller(req, Buffer.alloc(0));
    const records = await this.registry.list();
    return { items: records.filter((record) => record.mode === 'public' || mayManage(account, record)).map(view) };
  }

  @Get(':name')
  async info(@Param('name') name: string, @Req() req: Request): Promise<CommandView & { live: InstanceRecord[] }> {
    const record = await this.readable(name, req);
    return { ...view(record), live: await this.keeper.instances(commandPool(record)) };
  }

  @Delete(':name')
  async unregister(@Param('name') name: string, @Req() req: Request): Promise<CommandView> {
    await this.managed(name, req, Buffer.alloc(0));
    const record = await this.registry.unregister(name);
    await Promise.all(record.versions.map((version) => this.storage.delete(version.tarball.bucket, version.tarball.key).catch(() => undefined)));
    await this.catalog.refresh();
    return view(record);
  }

  /**
   * An upload (tar or tar.gz with ufop.yaml at its root) becomes the next version: its manifest
   * is checked here, so a bad ufop.yaml is a 400 naming the line before anything is queued.
   */
  @Post(':name/builds')
  @HttpCode(202)
  async build(@Param('name') name: string, @Req() req: Request): Promise<{ name: string; version: string; state: string }> {
    const body = await readRawBody(req, MAX_UFOP_UPLOAD_BYTES);
    const record = await this.managed(name, req, body);
    if (record.kind !== 'ufop') throw new GatewayError(400, `'${name}' is a third-party service: it has nothing to build`);
    if (body.length === 0) throw new GatewayError(400, 'the body must be the tar or tar.gz of the UFOP directory');
    readUploadManifest(body);
    await this.storage.createBucket(UFOP_UPLOAD_BUCKET, { private: true, owner: PLATFORM_OWNER }).catch(() => undefined);
    const key = `${name}/${Date.now()}-${Math.random().toString(36).slice(2, 10)}.tar`;
    await this.storage.put(UFOP_UPLOAD_BUCKET, key, body, { maxBytes: MAX_UFOP_UPLOAD_BYTES, mime: 'application/x-tar' });
    const version = await this.registry.addVersion(name, { bucket: UFOP_UPLOAD_BUCKET, key }).catch(async (error: Error) => {
      await this.storage.delete(UFOP_UPLOAD_BUCKET, key).catch(() => undefined);
      throw error;
    });
    try {
      await this.dispatcher.dispatch('ufopBuild', {
        data: { name, version: version.version, owner: record.owner, tarball: version.tarball },
        jobId: `${name}.${version.version}`,
      });
    } catch (error) {
      // A version nobody will build must not look queued forever.
      await this.registry.finishVersion(name, version.version, { state: 'failed', error: 'the build could not be queued; upload again' }).catch(() => undefined);
      throw new GatewayError(503, `the build of '${name}' could not be queued (${(error as Error).message}); upload again`);
    }
    return { name, version: version.version, state: version.state };
  }

  @Get(':name/versions')
  async versions(@Param('name') name: string, @Req() req: Request): Promise<{ current?: string; items: CommandRecord['versions'] }> {
    const record = await this.managed(name, req, Buffer.alloc(0));
    return { current: record.currentVersion, items: record.versions };
  }

  @Get(':name/versions/:version/log')
  async log(@Param('name') name: string, @Param('version') version: string, @Req() req: Request): Promise<{ state: string; lines: string[] }> {
    const record = await this.managed(name, req, Buffer.alloc(0));
    const entry = record.versions.find((candidate) => candidate.version === version);
    if (!entry) throw new GatewayError(404, `'${name}' has no version ${version}`);
    return { state: entry.state, lines: await this.registry.buildLog(name, version) };
  }

  /** What each instance's program printed last (its stdout and stderr), newest instance first. */
  @Get(':name/logs')
  async runLogs(@Param('name') name: string, @Req() req: Request): Promise<{ items: RunLog[] }> {
    const record = await this.managed(name, req, Buffer.alloc(0));
    if (record.kind !== 'ufop') throw new GatewayError(400, `'${name}' is a third-party service: its output is its own`);
    return { items: await this.registry.runLogs(name) };
  }

  /** `use-version`: new instances run `version`, the others retire once those are ready (also a rollback). */
  @Put(':name/version')
  async useVersion(@Param('name') name: string, @Req() req: Request): Promise<CommandView> {
    const body = await readRawBody(req);
    await this.managed(name, req, body);
    const parsed = useVersionSchema.safeParse(parseJsonObject(body));
    if (!parsed.success) throw new GatewayError(400, describeIssues(parsed.error.issues));
    const record = await this.registry.useVersion(name, parsed.data.version);
    await this.catalog.refresh();
    return view(record);
  }

  /** `upgrade`: to the newest version that built. */
  @Post(':name/upgrade')
  async upgrade(@Param('name') name: string, @Req() req: Request): Promise<CommandView> {
    const record = await this.managed(name, req, Buffer.alloc(0));
    const newest = [...record.versions].reverse().find((version) => version.state === 'ready');
    if (!newest) throw new GatewayError(409, `'${name}' has no version that built; see fopctl versions ${name}`);
    const updated = await this.registry.useVersion(name, newest.version);
    await this.catalog.refresh();
    return view(updated);
  }

  /** `resize -n N` pins the instance count (0 stops them all); `{auto: true}` lets the scaler decide. */
  @Post(':name/resize')
  async resize(@Param('name') name: string, @Req() req: Request): Promise<CommandView> {
    const body = await readRawBody(req);
    const current = await this.managed(name, req, body);
    const parsed = commandResizeSchema.safeParse(parseJsonObject(body));
    if (!parsed.success) throw new GatewayError(400, 'give {"instances": 0-64} or {"auto": true, "maxInstances"?: 1-64}');
    const asked = 'instances' in parsed.data ? parsed.data.instances : (parsed.data.maxInstances ?? current.maxInstances);
    // The operator resizing is held to the global cap only; a key, to its account's too.
    const account = cappedAccount(this.access.caller(req, body));
    if (current.kind === 'ufop') checkInstanceRequest(await this.registry.list(), { name, account, instances: asked }, this.config.ufop);
    const record = await this.registry.update(name, (entry) => {
      if ('instances' in parsed.data) entry.instances = parsed.data.instances;
      else {
        delete entry.instances;
        if (parsed.data.maxInstances) entry.maxInstances = parsed.data.maxInstances;
      }
    });
    await this.catalog.refresh();
    return view(record);
  }

  /** A command the caller may see: its own, a public one, or any for the operator; 404 otherwise. */
  private async readable(name: string, req: Request): Promise<CommandRecord> {
    const account = this.access.caller(req, Buffer.alloc(0));
    const record = await this.registry.require(name);
    if (record.mode !== 'public' && !mayManage(account, record)) throw new GatewayError(404, `no custom command '${name}' is registered`);
    return record;
  }

  /** A command the caller may change: 403 for another key's. */
  private async managed(name: string, req: Request, body: Buffer): Promise<CommandRecord> {
    const account = this.access.caller(req, body);
    const record = await this.registry.require(name);
    if (!mayManage(account, record)) throw new GatewayError(403, `'${name}' belongs to another access key`);
    return record;
  }
}

/** The account per-account caps apply to; undefined for the operator, who has none. */
function cappedAccount(account: Account): string | undefined {
  return account === OPERATOR_ACCOUNT ? undefined : account;
}

function mayManage(account: Account, record: CommandRecord): boolean {
  return account === OPERATOR_ACCOUNT || account === record.owner;
}
