import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomCommandHost } from './custom-command.host';
import { WorkerModule } from './worker.module';
import { closeOnSignals } from '@fopflow/config';
import { FopflowLogger } from '@fopflow/logging';
import { startTracing } from '@fopflow/tracing';

/** A worker instance: no HTTP, only queue consumers. SIGTERM finishes active jobs, then exits 0. */
async function main(): Promise<void> {
  startTracing('fopflow-worker');
  const app = await NestFactory.createApplicationContext(WorkerModule, { abortOnError: false, bufferLogs: true });
  app.useLogger(app.get(FopflowLogger));
  closeOnSignals(app, 'Worker');
  // A custom program that died or hung: stop as on SIGTERM (held jobs end first), so the scaler
  // starts a fresh instance in this one's place.
  app.get(CustomCommandHost).onBroken = () => process.kill(process.pid, 'SIGTERM');
  Logger.log(`worker ${process.pid} ready`, 'Worker');
}

main().catch((error: Error) => {
  Logger.error(error.message, 'Worker');
  process.exit(1);
});
