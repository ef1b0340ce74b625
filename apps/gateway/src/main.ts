import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AdminTokenSource, closeOnSignals, loadConfig, resolveAdminToken } from '@fopflow/config';
import { ResultCache } from '@fopflow/cache';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { HttpMetrics } from '@fopflow/metrics';
import { MAX_UFOP_UPLOAD_BYTES } from '@fopflow/ufop';
import { FopflowLogger, requestIdMiddleware } from '@fopflow/logging';
import { httpTraceMiddleware, startTracing } from '@fopflow/tracing';
import { AccessPolicy } from './auth/access.policy';
import { adminTokenMiddleware } from './auth/admin-token.middleware';
import { claimedIdentity } from './auth/caller';
import { connectionLimitMiddleware } from './auth/connection-limit.middleware';
import { RateLimits } from './auth/rate-limits';
import { BULL_BOARD_ROUTE, CONSOLE_ROUTE, GatewayModule } from './gateway.module';
import { bodyGuardMiddleware } from './http/body-guard.middleware';
import { ErrorFilter } from './http/error.filter';
import { httpMetricsMiddleware } from './http/http-metrics.middleware';
import { noSniffMiddleware } from './http/inert-content';
import { HTTP_METRICS, METRICS_REGISTRY } from './metrics/metrics.providers';
import { uploadCorsMiddleware } from './upload/upload-cors.middleware';
import { publicMetricsOff, serveMetricsPort } from './metrics/metrics-port.server';
import type { Registry } from 'prom-client';
import { apiDocsMiddleware } from './openapi/api-docs.middleware';

/** Builds the gateway application without listening; tests and main() share it. */
export async function createGateway(): Promise<NestExpressApplication> {
  const loaded = loadConfig();
  const operatorToken = resolveAdminToken(loaded.adminToken, loaded.dataDir);
  logOperatorToken(operatorToken);
  const config = { ...loaded, adminToken: operatorToken.token };
  // Uploads are streamed raw; no body parser may consume them first.
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(FopflowLogger));
  // First, so every later middleware's lines and the answer carry the request id.
  app.use(requestIdMiddleware);
  app.use(httpTraceMiddleware);
  app.use(httpMetricsMiddleware(app.get<HttpMetrics>(HTTP_METRICS)));
  app.use(noSniffMiddleware);
  app.use(apiDocsMiddleware());
  if (config.metricsPort !== undefined) app.use(publicMetricsOff);
  const operatorsOnly = adminTokenMiddleware(config.adminToken);
  for (const route of [BULL_BOARD_ROUTE, CONSOLE_ROUTE, '/v1/pools', '/v1/instances', '/v1/discovery']) app.use(route, operatorsOnly);
  app.use(uploadCorsMiddleware(config.uploadCorsOrigins));
  const keys = app.get(AccessPolicy).keys;
  app.use(connectionLimitMiddleware(app.get(RateLimits), (req) => claimedIdentity(req, keys)));
  app.use(
    bodyGuardMiddleware({
      keys,
      adminToken: config.adminToken,
      maxSignedBodyBytes: config.limits.maxSignedBodyBytes,
      maxBatchBodyBytes: config.limits.maxBatchBodyBytes,
      maxUploadBytes: config.limits.maxUploadBytes,
      maxUfopUploadBytes: MAX_UFOP_UPLOAD_BYTES,
    }),
  );
  app.useGlobalFilters(new ErrorFilter());
  app.disable('x-powered-by');
  await sweepLeftovers(app.get<ObjectStorage>(OBJECT_STORAGE), app.get(ResultCache), config.leftoverMaxAgeS * 1000);
  return app;
}

/** Says where a generated operator token is (never the token: logs travel further than the data dir). */
function logOperatorToken(source: AdminTokenSource): void {
  if (!source.file) return;
  const what = source.generated ? 'generated a new operator token' : 'operator token kept';
  Logger.warn(
    `FOPFLOW_ADMIN_TOKEN is not set: ${what} in ${source.file} (mode 0600). Bull Board, pools, instances and UFOP administration need it: Authorization: Bearer $(cat ${source.file})`,
    'Gateway',
  );
}

/**
 * Removes what a crash left: uploads' `.part` files or S3 staging objects, result-cache temp files
 * and the front tiers of processes that stopped. Live writers (of any process on the same store)
 * keep writing theirs, so nothing in use is unwritten for maxAgeMs.
 */
async function sweepLeftovers(storage: ObjectStorage, cache: ResultCache, maxAgeMs: number): Promise<void> {
  const sweeps: Array<[what: string, sweep: (() => Promise<string[]>) | undefined]> = [
    ['upload', storage.sweepInterruptedWrites && (() => storage.sweepInterruptedWrites!(maxAgeMs))],
    ['result-cache', () => cache.sweepTemp(maxAgeMs)],
  ];
  for (const [what, sweep] of sweeps) {
    if (!sweep) continue;
    // Leftovers cost disk, not correctness: a sweep that cannot finish must not stop the gateway.
    const removed = await sweep().catch((error: Error) => {
      Logger.warn(`leftover ${what} files of earlier runs not swept: ${error.message}`, 'Gateway');
      return [];
    });
    if (removed.length) Logger.log(`removed ${removed.length} leftover ${what} file(s) of earlier runs`, 'Gateway');
  }
}

async function main(): Promise<void> {
  startTracing('fopflow-gateway');
  const app = await createGateway();
  const { port, metricsPort } = loadConfig();
  const host = process.env.HOST ?? '0.0.0.0';
  await app.listen(port, host);
  if (metricsPort !== undefined) {
    const metrics = await serveMetricsPort(app.get<Registry>(METRICS_REGISTRY), metricsPort, host);
    Logger.log(`metrics on http://${host}:${metrics.port}/metrics`, 'Gateway');
  }
  closeOnSignals(app, 'Gateway');
  Logger.log(`listening on ${await app.getUrl()}`, 'Gateway');
}

if (require.main === module) {
  main().catch((error: Error) => {
    Logger.error(error.message, 'Gateway');
    process.exit(1);
  });
}
