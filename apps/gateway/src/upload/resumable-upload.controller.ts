import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { decodeUrlsafeBase64 } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import type { RedisClient } from '@fopflow/queue';
import type { Request, Response } from 'express';
import { GatewayError } from '../http/error.filter';
import { MAX_API_BODY_BYTES, parseJsonObject, readRawBody } from '../http/raw-body';
import { REDIS_PRODUCER } from '../redis.module';
import { UploadGrant } from './put-policy';
import { createMultipartUploadStore } from './multipart-upload.factory';
import { MAX_PART_BYTES, MAX_PART_NUMBER, MultipartUploadStore, noSuchUpload, summarizeUpload } from './multipart-upload.store';
import { answerQiniuCodes } from './qiniu-codes';
import { parseCompletion } from './upload.schemas';
import { UploadService } from './upload.service';

const BASE = 'buckets/:bucket/objects/:encodedKey/uploads';

/**
 * Qiniu's resumable upload v2 (`ResumeUploader` with version v2): init, parts, complete, abort and
 * list parts, each carrying `Authorization: UpToken <token>`. Parts stay out of the bucket until
 * the completion, which checks the policy against the whole file and stores it in one step. Where
 * parts wait follows the storage setting (see multipart-upload.factory.ts).
 */
@Controller()
export class ResumableUploadController {
  private readonly parts: MultipartUploadStore;

  constructor(
    @Inject(FOPFLOW_CONFIG) config: FopflowConfig,
    @Inject(REDIS_PRODUCER) redis: RedisClient,
    private readonly uploads: UploadService,
  ) {
    this.parts = createMultipartUploadStore(config, redis);
  }

  @Post(BASE)
  @HttpCode(200)
  async init(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerQiniuCodes(res, async () => {
      const { grant, bucket, key } = await this.target(req);
      // Uploads nobody finished or aborted go once their lifetime is over; a sweep failure costs disk only.
      void this.parts.sweepExpired().catch(() => undefined);
      const meta = await this.parts.create(bucket, key, grant.key.accessKey);
      res.json({ uploadId: meta.uploadId, expireAt: meta.expireAt });
    });
  }

  @Put(`${BASE}/:uploadId/:partNumber`)
  async putPart(@Req() req: Request, @Res() res: Response, @Param('uploadId') uploadId: string, @Param('partNumber') partText: string): Promise<void> {
    await answerQiniuCodes(res, async () => {
      const { grant, bucket, key } = await this.target(req);
      await this.upload(grant, uploadId, bucket, key);
      const partNumber = Number(partText);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
        throw new GatewayError(400, `partNumber must be a whole number from 1 to ${MAX_PART_NUMBER}, got '${partText.slice(0, 20)}'`);
      }
      const maxBytes = Math.min(MAX_PART_BYTES, this.uploads.maxFileBytes(grant));
      const md5 = req.headers['content-md5'];
      const part = await this.parts.putPart(uploadId, partNumber, req, maxBytes, typeof md5 === 'string' ? md5 : undefined);
      res.json({ etag: part.etag, md5: part.etag });
    });
  }

  @Post(`${BASE}/:uploadId`)
  @HttpCode(200)
  async complete(@Req() req: Request, @Res() res: Response, @Param('uploadId') uploadId: string): Promise<void> {
    await answerQiniuCodes(res, async () => {
      const { grant, bucket, key } = await this.target(req);
      await this.upload(grant, uploadId, bucket, key);
      const body = parseCompletion(parseJsonObject(await readRawBody(req, MAX_API_BODY_BYTES)));
      const listed = body.parts;
      const vars: Record<string, string> = {};
      for (const [name, value] of Object.entries(body.customVars ?? {})) if (name.startsWith('x:') && value !== null) vars[name] = String(value);
      const summary = await summarizeUpload(this.parts, uploadId, listed);
      const answer = await this.uploads.store(
        grant,
        {
          key,
          ...summary,
          mime: body.mimeType,
          fname: body.fname ?? '',
          vars,
        },
        () => this.parts.open(uploadId, listed),
      );
      await this.parts.remove(uploadId);
      if (answer.redirect) return res.redirect(303, answer.redirect);
      res.status(answer.status);
      if (answer.text !== undefined) res.type('text/plain').send(answer.text);
      else res.json(answer.json);
    });
  }

  @Delete(`${BASE}/:uploadId`)
  async abort(@Req() req: Request, @Res() res: Response, @Param('uploadId') uploadId: string): Promise<void> {
    await answerQiniuCodes(res, async () => {
      const { grant, bucket, key } = await this.target(req);
      await this.upload(grant, uploadId, bucket, key);
      await this.parts.remove(uploadId);
      res.json({});
    });
  }

  @Get(`${BASE}/:uploadId`)
  async listParts(@Req() req: Request, @Res() res: Response, @Param('uploadId') uploadId: string): Promise<void> {
    await answerQiniuCodes(res, async () => {
      const { grant, bucket, key } = await this.target(req);
      const meta = await this.upload(grant, uploadId, bucket, key);
      const marker = Number(req.query['part-number-marker'] ?? 0) || 0;
      const maxParts = Math.min(Math.max(Number(req.query['max-parts'] ?? 1000) || 1000, 1), 1000);
      const all = (await this.parts.parts(uploadId)).filter((part) => part.partNumber > marker);
      const page = all.slice(0, maxParts);
      res.json({
        uploadId,
        expireAt: meta.expireAt,
        partNumberMarker: all.length > maxParts ? page[page.length - 1].partNumber : 0,
        parts: page.map((part) => ({ partNumber: part.partNumber, etag: part.etag, size: part.size, putTime: part.put })),
      });
    });
  }

  /** The verified token of the call, and the bucket and key of its URL (which must be the token's bucket). */
  private async target(req: Request): Promise<{ grant: UploadGrant; bucket: string; key?: string }> {
    const authorization = req.headers.authorization ?? '';
    const token = /^UpToken\s+(\S+)$/.exec(authorization.trim())?.[1];
    const grant = await this.uploads.grant(token);
    const bucket = String(req.params.bucket);
    if (bucket !== grant.bucket) throw new GatewayError(403, `bucket '${bucket.slice(0, 64)}' doesn't match with scope '${grant.policy.scope.slice(0, 200)}'`);
    const encoded = String(req.params.encodedKey);
    if (encoded === '~') return { grant, bucket };
    const decoded = decodeUrlsafeBase64(encoded);
    if (!decoded) throw new GatewayError(400, 'the object name in the URL is not URL-safe base64 (or ~ for none)');
    return { grant, bucket, key: decoded.toString('utf8') };
  }

  /** The upload, when it is this token key's (612 otherwise, as if it did not exist). */
  private async upload(grant: UploadGrant, uploadId: string, bucket: string, key: string | undefined) {
    const meta = await this.parts.meta(uploadId, bucket, key);
    if (meta.accessKey !== grant.key.accessKey) throw noSuchUpload(uploadId);
    return meta;
  }
}
