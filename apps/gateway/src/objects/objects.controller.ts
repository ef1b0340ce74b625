import { PassThrough } from 'node:stream';
import { Controller, Delete, Get, HttpCode, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { BucketInfo, ListResult, OBJECT_STORAGE, ObjectInfo, ObjectStorage } from '@fopflow/storage';
import type { Request, Response } from 'express';
import { AccessPolicy } from '../auth/access.policy';
import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { GatewayError, sendError } from '../http/error.filter';
import { parseJsonObject, readRawBody } from '../http/raw-body';
import { bucketAndKey } from '../http/request-path';
import { SourceVersions } from '../fops/source-versions';
import { bucketSettingsChange } from './bucket-settings.change';
import { bucketSettingsSchema } from './object.schemas';

const OBJECTS_PREFIX = '/v1/objects';

/**
 * The request body behind a stream of its own: storage may destroy it on a limit without
 * destroying the socket, and a client that goes away mid-upload still fails the write.
 */
function detachedBody(req: Request): PassThrough {
  const body = new PassThrough();
  req.pipe(body);
  req.once('error', (error) => body.destroy(error));
  req.once('close', () => {
    if (!req.complete) body.destroy(new Error('client closed the connection mid-upload'));
  });
  return body;
}

/** Buckets and objects: create, upload (streamed), stat, list, delete. Signed when keys are configured. */
@Controller('v1')
export class ObjectsController {
  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly access: AccessPolicy,
    private readonly sources: SourceVersions,
  ) {}

  /**
   * Creates a bucket owned by the caller (the operator's account with the admin token), or, on
   * an existing bucket of the caller's, changes its settings: `{"private", "protected", "separator"}`.
   */
  @Put('buckets/:bucket')
  async createBucket(@Param('bucket') bucket: string, @Req() req: Request): Promise<BucketInfo> {
    const body = await readRawBody(req);
    const account = this.access.caller(req, body);
    const parsed = bucketSettingsSchema.safeParse(body.length ? parseJsonObject(body) : {});
    if (!parsed.success) throw new GatewayError(400, parsed.error.issues[0]?.message ?? 'bad bucket settings');
    const settings = parsed.data;
    let existing = await this.access.objects.settings(bucket, true);
    if (!existing) {
      await this.access.authorize(account, 'write', bucket);
      existing = await this.storage.createBucket(bucket, { private: settings.private === true, owner: account });
    } else {
      await this.access.authorize(account, 'manage', bucket);
    }
    const change = bucketSettingsChange(settings, existing);
    if (!change) return existing;
    const changed = await this.storage.updateBucket(bucket, change);
    this.access.objects.forget(bucket);
    return changed;
  }

  /** The caller's buckets; all of them for the operator. System buckets are never listed to a key. */
  @Get('buckets')
  async listBuckets(@Req() req: Request): Promise<{ items: BucketInfo[] }> {
    const account = this.access.caller(req, Buffer.alloc(0));
    const all = await this.storage.listBuckets();
    return { items: account === OPERATOR_ACCOUNT ? all : all.filter((bucket) => bucket.owner === account) };
  }

  /** Streams the raw body into the object; nothing is visible until the whole body is stored. */
  @Put('objects/:bucket/*key')
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { bucket, key } = bucketAndKey(req, OBJECTS_PREFIX);
    // The body is the object itself, not part of the signature: QBox signs path and query only.
    const account = this.access.caller(req, Buffer.alloc(0));
    await this.access.authorize(account, 'write', bucket);
    const maxBytes = this.config.limits.maxUploadBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      // Refused before a byte is read; closing the connection stops the client's send.
      sendError(res, 413, `body of ${declared} bytes is over maxUploadBytes ${maxBytes}`, { Connection: 'close' });
      return;
    }
    const body = detachedBody(req);
    try {
      const info = await this.storage.put(bucket, key, body, { maxBytes, mime: req.headers['content-type'], owner: account });
      this.sources.forget(bucket, key);
      res.status(200).json(info);
    } catch (error) {
      // Discard the rest of the body so the client reads our answer instead of a reset socket.
      req.unpipe(body);
      req.resume();
      res.set('Connection', 'close');
      throw error;
    }
  }

  @Get('objects/:bucket')
  async list(
    @Req() req: Request,
    @Param('bucket') bucket: string,
    @Query('prefix') prefix?: string,
    @Query('marker') marker?: string,
    @Query('limit') limit?: string,
    @Query('delimiter') delimiter?: string,
  ): Promise<ListResult> {
    await this.access.authorize(this.access.caller(req, Buffer.alloc(0)), 'manage', bucket);
    const pageSize = limit === undefined ? undefined : Number(limit);
    if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)) {
      throw new GatewayError(400, `limit must be a whole number from 1 to 1000, got '${limit}'`);
    }
    return this.storage.list(bucket, { prefix, marker, limit: pageSize, delimiter });
  }

  @Get('objects/:bucket/*key')
  async stat(@Req() req: Request): Promise<ObjectInfo> {
    const { bucket, key } = bucketAndKey(req, OBJECTS_PREFIX);
    await this.access.authorize(this.access.caller(req, Buffer.alloc(0)), 'manage', bucket);
    return this.storage.stat(bucket, key);
  }

  @Delete('objects/:bucket/*key')
  @HttpCode(204)
  async remove(@Req() req: Request): Promise<void> {
    const { bucket, key } = bucketAndKey(req, OBJECTS_PREFIX);
    await this.access.authorize(this.access.caller(req, Buffer.alloc(0)), 'manage', bucket);
    await this.storage.delete(bucket, key);
    this.sources.forget(bucket, key);
  }
}
