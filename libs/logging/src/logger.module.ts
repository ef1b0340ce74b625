import type { DynamicModule } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { currentLogContext } from './log-context';

/** Log formats: `json` (one object a line, the default) or `pretty` (for a terminal; `npm start`). */
export type LogFormat = 'json' | 'pretty';

/** Reads FOPFLOW_LOG_FORMAT; anything else than `pretty`, or pretty without pino-pretty installed (a production image), is JSON. */
export function logFormatFrom(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.FOPFLOW_LOG_FORMAT === 'pretty' && prettyTransportPath() ? 'pretty' : 'json';
}

/** Where pino-pretty is, as an absolute path: pino would look for a bare name from its own folder. */
function prettyTransportPath(): string | undefined {
  try {
    return require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/** The pino options every Fopflow process logs with: its name, its level, the request/job ids. */
export function pinoOptions(app: string, env: NodeJS.ProcessEnv = process.env): Options {
  return {
    name: app,
    level: env.FOPFLOW_LOG_LEVEL ?? 'info',
    // Every line written inside a request's or job's context carries its ids, whichever logger wrote it.
    mixin: () => ({ ...currentLogContext() }),
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? '',
    // Method, path and status only: headers carry signatures and tokens, and query strings may too.
    serializers: {
      req: (req: { id?: string; method?: string; url?: string }) => ({ id: req.id, method: req.method, path: (req.url ?? '').split('?')[0] }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    // Probes and scrapes would drown the lines that matter.
    autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|ready|metrics)\b/.test(req.url ?? '') },
    ...(logFormatFrom(env) === 'pretty' && {
      transport: { target: prettyTransportPath()!, options: { singleLine: true, ignore: 'pid,hostname', colorize: !env.NO_COLOR } },
    }),
  };
}

/** nestjs-pino's module configured for `app` (gateway, worker, scaler). */
export function fopflowLoggerModule(app: string): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: pinoOptions(app) });
}
