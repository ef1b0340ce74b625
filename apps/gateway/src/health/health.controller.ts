import { Controller, Get, Inject, Res } from '@nestjs/common';
import { isRedisReady, type RedisClient } from '@fopflow/queue';
import type { Response } from 'express';
import { sendError } from '../http/error.filter';
import { REDIS_PRODUCER } from '../redis.module';

/** Liveness (`/health`: the process answers) and readiness (`/ready`: Redis answers too). */
@Controller()
export class HealthController {
  constructor(@Inject(REDIS_PRODUCER) private readonly redis: RedisClient) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    if (await isRedisReady(this.redis)) {
      res.json({ status: 'ready', redis: 'up' });
      return;
    }
    sendError(res, 503, `not ready: redis is ${this.redis.status}`);
  }
}
