import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';
import { closeOnSignals } from '@fopflow/config';

/** A worker instance: no HTTP, only queue consumers. SIGTERM finishes active jobs, then exits 0. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule);
  closeOnSignals(app, 'Worker');
  Logger.log(`worker ${process.pid} ready`, 'Worker');
}

main().catch((error: Error) => {
  Logger.error(error.message, 'Worker');
  process.exit(1);
});
