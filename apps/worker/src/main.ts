import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';

/** A worker instance: no HTTP, only queue consumers. SIGTERM finishes active jobs, then exits. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: false });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  Logger.log(`worker ${process.pid} ready`, 'Worker');
}

main().catch((error: Error) => {
  Logger.error(error.message, 'Worker');
  process.exit(1);
});
