import type { HttpMetrics } from '@fopflow/metrics';
import type { NextFunction, Request, Response } from 'express';

/**
 * Counts every answer by method, route pattern and status. The route is the matched pattern
 * (`/:bucket/*key`), never the concrete path, so the label set stays small.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stopTimer = metrics.duration.startTimer();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath}` : req.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      stopTimer(labels);
      const cache = res.getHeader('X-Fop-Cache');
      if (cache) metrics.cache.inc({ result: String(cache).toLowerCase() });
    });
    next();
  };
}
