import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { AccessKey } from '@fopflow/auth';
import { JobStatus } from '@fopflow/jobs';
import type { Request } from 'express';
import { z } from 'zod';
import { AccessPolicy } from '../auth/access.policy';
import { GatewayError } from '../http/error.filter';
import { describeIssues, parseJsonObject, readRawBody } from '../http/raw-body';
import { batchSubmissionSchema, submissionSchema } from './job.schemas';
import { JobsService, JobSubmission } from './jobs.service';

function asSubmission({ source, fops, notifyUrl, pipeline, force }: z.infer<typeof submissionSchema>): JobSubmission {
  return { kind: 'native', ...source, fops: typeof fops === 'string' ? [fops] : fops, notifyUrl, pipeline, force };
}

/** The native async API: `POST /v1/jobs`, `GET /v1/jobs[/<id>]`, `DELETE /v1/jobs/<id>`. Calls are signed. */
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly access: AccessPolicy,
  ) {}

  private caller(req: Request, body: Buffer): Promise<AccessKey> {
    return this.access.signedCaller(req, body);
  }

  /** 202 `{id}`; a repeat with the same Idempotency-Key answers the first job's id. */
  @Post()
  @HttpCode(202)
  async submit(@Req() req: Request): Promise<{ id: string }> {
    const body = await readRawBody(req);
    const caller = await this.caller(req, body);
    const parsed = submissionSchema.safeParse(parseJsonObject(body));
    if (!parsed.success) throw new GatewayError(400, describeIssues(parsed.error.issues));
    const idempotencyKey = req.headers['idempotency-key'];
    const { id } = await this.jobs.submit(caller, {
      ...asSubmission(parsed.data),
      idempotencyKey: typeof idempotencyKey === 'string' && idempotencyKey ? idempotencyKey.slice(0, 200) : undefined,
    });
    return { id };
  }

  /** 202 `{ids}`: several jobs in one call, all accepted or none; their fops are queued in bulk. */
  @Post('batch')
  @HttpCode(202)
  async submitBatch(@Req() req: Request): Promise<{ ids: string[] }> {
    // Bounded by maxBatchBodyBytes, which the body guard chose for this route.
    const body = await readRawBody(req);
    const caller = await this.caller(req, body);
    const parsed = batchSubmissionSchema.safeParse(parseJsonObject(body));
    if (!parsed.success) throw new GatewayError(400, describeIssues(parsed.error.issues));
    return { ids: await this.jobs.submitMany(caller, parsed.data.jobs.map(asSubmission)) };
  }

  @Get()
  async list(
    @Req() req: Request,
    @Query('limit') limit = '50',
    @Query('before') before?: string,
    @Query('code') code?: string,
  ): Promise<{ items: JobStatus[]; nextBefore?: number }> {
    const caller = await this.caller(req, Buffer.alloc(0));
    const pageSize = Number(limit);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200) throw new GatewayError(400, `limit must be 1 to 200, got '${limit}'`);
    const codeFilter = code === undefined ? undefined : Number(code);
    if (codeFilter !== undefined && ![0, 1, 2, 3, 4].includes(codeFilter)) throw new GatewayError(400, `code must be 0 to 4, got '${code}'`);
    const beforeMs = before === undefined ? undefined : Number(before);
    if (beforeMs !== undefined && !Number.isFinite(beforeMs)) throw new GatewayError(400, `before must be ms since epoch, got '${before}'`);
    return this.jobs.list(caller, { limit: pageSize, before: beforeMs, code: codeFilter });
  }

  @Get(':id')
  async status(@Req() req: Request, @Param('id') id: string): Promise<JobStatus> {
    return this.jobs.status(id, await this.caller(req, Buffer.alloc(0)));
  }

  @Delete(':id')
  async cancel(@Req() req: Request, @Param('id') id: string): Promise<JobStatus> {
    return this.jobs.cancel(await this.caller(req, Buffer.alloc(0)), id);
  }
}
