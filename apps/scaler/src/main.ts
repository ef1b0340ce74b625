import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeOnSignals } from '@fopflow/config';
import { FopflowLogger } from '@fopflow/logging';
import { ScalerModule } from './scaler.module';

/** The scaler: decides pool sizes from the backlog and drives a runtime. SIGTERM stops it cleanly. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(ScalerModule, { bufferLogs: true });
  app.useLogger(app.get(FopflowLogger));
  closeOnSignals(app, 'Scaler');
  Logger.log(`scaler ${process.pid} ready`, 'Scaler');
}

main().catch((error: Error) => {
  Logger.error(error.message, 'Scaler');
  process.exit(1);
});
