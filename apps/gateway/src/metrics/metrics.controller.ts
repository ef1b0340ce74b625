import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.providers';

/** Prometheus exposition of the gateway, the queues and the jobs of all workers. */
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.set('Content-Type', this.registry.contentType).send(await this.registry.metrics());
  }
}
