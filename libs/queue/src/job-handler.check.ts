import { Inject, Injectable, OnModuleInit, Provider } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import type { JobName } from './job-catalogue';
import { checkJobHandlers } from './job-handlers';

const CONSUMED_JOBS = Symbol('CONSUMED_JOBS');

/** Fails the app's start-up unless its providers take each kind of job it consumes exactly once. */
@Injectable()
class JobHandlerCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(CONSUMED_JOBS) private readonly consumed: JobName[],
  ) {}

  onModuleInit(): void {
    const classes = this.discovery.getProviders().flatMap((wrapper) => (wrapper.metatype ? [wrapper.metatype as object] : []));
    checkJobHandlers(classes, this.consumed);
  }
}

/** What a consuming app's module adds: `imports` and `providers` that check its handlers at start. */
export function jobHandlerCheck(consumed: JobName[]): { imports: [typeof DiscoveryModule]; providers: Provider[] } {
  return { imports: [DiscoveryModule], providers: [{ provide: CONSUMED_JOBS, useValue: consumed }, JobHandlerCheck] };
}
