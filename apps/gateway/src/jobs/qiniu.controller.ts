import { All, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { AccessKey } from '@fopflow/auth';
import type { Request, Response } from 'express';
import { AccessPolicy } from '../auth/access.policy';
import { parsePfopForm } from './qiniu.schemas';
import { GatewayError, sendError } from '../http/error.filter';
import { readRawBody } from '../http/raw-body';
import { JobsService } from './jobs.service';

/** Qiniu's code for "no such persistentId". */
const NO_SUCH_ID = 612;

/**
 * Qiniu-compatible async API, so its SDKs work pointed at Fopflow: `POST /pfop/` (form, `;`-separated
 * fops, signed) and `GET|POST /status/get/prefop?id=` (unsigned: the id is the secret, as at Qiniu).
 */
@Controller()
export class QiniuController {
  constructor(
    private readonly jobs: JobsService,
    private readonly access: AccessPolicy,
  ) {}

  private caller(req: Request, body: Buffer): Promise<AccessKey> {
    return this.access.signedCaller(req, body);
  }

  @Post('pfop')
  @HttpCode(200)
  async pfop(@Req() req: Request): Promise<{ persistentId: string }> {
    const body = await readRawBody(req);
    const caller = await this.caller(req, body);
    const form = parsePfopForm(body);
    const { id } = await this.jobs.submit(caller, {
      kind: 'pfop',
      bucket: form.bucket,
      key: form.key,
      fops: form.fops.split(';').filter(Boolean),
      notifyUrl: form.notifyURL || form.notifyUrl,
      pipeline: form.pipeline,
      force: form.force === '1' || form.force === 'true',
      type: form.type,
    });
    return { persistentId: id };
  }

  @All('status/get/prefop')
  async prefop(@Req() req: Request, @Query('id') queryId: string | undefined, @Res() res: Response): Promise<void> {
    // The SDKs POST the id as a form; curl users GET it in the query.
    const id = queryId || new URLSearchParams((await readRawBody(req)).toString('utf8')).get('id');
    if (!id) return sendError(res, 400, 'id is required');
    try {
      res.json(await this.jobs.status(id));
    } catch (error) {
      if (error instanceof GatewayError && error.status === 404) return sendError(res, NO_SUCH_ID, `no such persistentId '${id}'`);
      throw error;
    }
  }
}
