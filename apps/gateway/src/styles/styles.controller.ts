import { Controller, Delete, Get, Inject, Param, Put, Req } from '@nestjs/common';
import { Account } from '@fopflow/auth';
import { splitSaveas } from '@fopflow/fop';
import { BucketInfo, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request } from 'express';
import { AccessPolicy } from '../auth/access.policy';
import { FopService } from '../fops/fop.service';
import { GatewayError } from '../http/error.filter';
import { parseJsonObject, readRawBody } from '../http/raw-body';
import { maxStylesPerBucket, separatorsOf, styleNameProblem } from './style.rules';
import { styleBodySchema } from './style.schemas';

/** One named style of a bucket. */
export interface StyleView {
  name: string;
  fops: string;
}

/**
 * A bucket's image styles (Qiniu's 样式): named fop pipelines that `GET /<bucket>/<key><sep><name>`
 * applies. Only the bucket's owner (or the operator) sets, lists or removes them; each style is
 * parsed and its referenced objects decided for the owner when it is set, and decided again for
 * each reader when it is applied.
 */
@Controller('v1/buckets/:bucket/styles')
export class StylesController {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly access: AccessPolicy,
    private readonly fops: FopService,
  ) {}

  @Get()
  async list(@Param('bucket') bucket: string, @Req() req: Request): Promise<{ items: StyleView[]; separator: string; protected: boolean }> {
    const info = await this.owned(this.access.caller(req, Buffer.alloc(0)), bucket);
    const items = Object.entries(info.styles ?? {})
      .map(([name, fops]) => ({ name, fops }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { items, separator: separatorsOf(info), protected: info.protected ?? false };
  }

  /** Sets (adds or replaces) the style `name` to the fop pipeline of the body's `fops`. */
  @Put(':name')
  async set(@Param('bucket') bucket: string, @Param('name') name: string, @Req() req: Request): Promise<StyleView> {
    const body = await readRawBody(req);
    const account = this.access.caller(req, body);
    const info = await this.owned(account, bucket);
    const problem = styleNameProblem(name, separatorsOf(info));
    if (problem) throw new GatewayError(400, problem);
    const parsed = styleBodySchema.safeParse(body.length ? parseJsonObject(body) : {});
    if (!parsed.success) throw new GatewayError(400, parsed.error.issues[0]?.message ?? 'give {"fops": "<fop pipeline>"}');
    const fops = parsed.data.fops.trim();
    if (splitSaveas(fops).saveas) throw new GatewayError(400, 'a style cannot hold saveas: a style URL carries no signature to save with');
    const { pipeline } = this.fops.parse(fops, '', info.owner);
    await this.access.authorizeFop(account, pipeline);
    const styles = { ...info.styles, [name]: fops };
    if (Object.keys(styles).length > maxStylesPerBucket) throw new GatewayError(413, `bucket '${bucket}' already holds maxStylesPerBucket ${maxStylesPerBucket} styles`);
    await this.update(bucket, styles);
    return { name, fops };
  }

  /** Removes the style `name`; 404 when the bucket has none of that name. */
  @Delete(':name')
  async remove(@Param('bucket') bucket: string, @Param('name') name: string, @Req() req: Request): Promise<StyleView> {
    const info = await this.owned(this.access.caller(req, Buffer.alloc(0)), bucket);
    if (!info.styles || !Object.hasOwn(info.styles, name)) throw new GatewayError(404, `bucket '${bucket}' has no style '${name}'`);
    const { [name]: fops, ...rest } = info.styles;
    await this.update(bucket, rest);
    return { name, fops };
  }

  /** The bucket's current settings, once `account` is found to manage it (401/403/404 otherwise). */
  private async owned(account: Account, bucket: string): Promise<BucketInfo> {
    await this.access.authorize(account, 'manage', bucket);
    return this.storage.getBucket(bucket);
  }

  private async update(bucket: string, styles: Record<string, string>): Promise<void> {
    await this.storage.updateBucket(bucket, { styles });
    this.access.objects.forget(bucket);
  }
}
