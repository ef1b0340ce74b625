import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';

const ROOT = join(__dirname, '..', '..');
const AK = 'ak-monitoring';
const SK = 'sk-monitoring-secret';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

/** The metric names a PromQL expression reads (Fopflow's and the process defaults). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:fopflow|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1]);
}

/** Names in `names` that a /metrics exposition does not declare (histogram series by their base name). */
function missingFrom(exposition: string, names: string[]): string[] {
  const declared = new Set([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
  return [...new Set(names)].filter((name) => !declared.has(name));
}

describe('monitoring kit: alert rules and dashboard read metrics the platform has, on a port of their own', () => {
  let platform: Platform;
  let metricsPort: number;
  let exposition: string;

  const alerts = (parse(readFileSync(join(ROOT, 'docker/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap((group) => group.rules);
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'docker/grafana/fopflow-dashboard.json'), 'utf8')) as { uid: string; panels: Array<{ title: string; targets: Array<{ expr: string }> }> };

  beforeAll(async () => {
    metricsPort = await freePort();
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_METRICS_PORT: String(metricsPort) });
    const client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('watched/photo.jpg', await makeJpeg(160, 120))).status).toBe(200);
    expect((await fetch(`${platform.url}/watched/photo.jpg?imageView2/2/w/40`)).status).toBe(200);
    // The worker records the job's figures in Redis as it completes it: wait until a scrape sees them.
    await waitFor('the job in the metrics', async () => {
      const answer = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      exposition = answer.status === 200 ? await answer.text() : '';
      return /^fopflow_jobs_total\{command="imageView2"/m.test(exposition);
    });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('serves /metrics on FOPFLOW_METRICS_PORT only, with the whole platform\'s figures', async () => {
    expect(exposition).toMatch(/^fopflow_jobs_total\{command="imageView2",tier="paid",outcome="completed",app="gateway"\} 1$/m);
    expect(exposition).toMatch(/^fopflow_redis_memory_used_bytes\{app="gateway"\} [1-9]\d*$/m);
    const publicPort = await fetch(`${platform.url}/metrics`);
    expect(publicPort.status).toBe(404);
    expect(await publicPort.json()).toEqual({ code: 404, error: 'metrics are served on FOPFLOW_METRICS_PORT, not on this port' });
    const elsewhere = await fetch(`http://127.0.0.1:${metricsPort}/docs`);
    expect(elsewhere.status).toBe(404);
  });

  it('has the alert rules an operator needs, each complete', () => {
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['FopflowBacklogGrowing', 'FopflowJobsFailing', 'FopflowWebhooksFailing', 'FopflowPoolAtMaximum', 'FopflowRedisMemoryHigh']),
    );
    for (const rule of alerts) {
      expect(rule).toMatchObject({ for: expect.stringMatching(/^\d+m$/), labels: { severity: expect.stringMatching(/^(warning|critical)$/) }, annotations: { summary: expect.any(String) } });
      expect(metricsIn(rule.expr).length).toBeGreaterThan(0);
    }
    const prometheus = parse(readFileSync(join(ROOT, 'docker/prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ metrics_path: string }> };
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.scrape_configs[0].metrics_path).toBe('/metrics');
  });

  it('every metric the alert rules and the dashboard query exists on /metrics', () => {
    const ruleMetrics = alerts.flatMap((rule) => metricsIn(rule.expr));
    const dashboardMetrics = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => metricsIn(target.expr)));
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(dashboardMetrics.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    expect(missingFrom(exposition, [...ruleMetrics, ...dashboardMetrics])).toEqual([]);
    // The check itself: a name the platform does not have is reported.
    expect(missingFrom(exposition, ['fopflow_jobs_total', 'fopflow_no_such_metric', 'fopflow_job_duration_seconds_bucket'])).toEqual(['fopflow_no_such_metric']);
  });
});
