import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';

const AK = 'ak-console-one';
const SK = 'sk-console-one-secret';
const ROOT = join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
/** Debian's chromium, quiet: no first-run work, no network of its own, no downloads. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the web console in a real browser', () => {
  let platform: Platform;
  let scaler: AppProcess;
  let client: ApiClient;
  let dir: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    dir = mkdtempSync(join(tmpdir(), 'fopflow-console-'));
    const pools = join(dir, 'pools.json');
    writeFileSync(
      pools,
      JSON.stringify({
        pools: {
          image: { commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'], minInstances: 1, maxInstances: 2, scaleDownStabilizationS: 4, graceMs: 5000 },
          av: { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
        },
      }),
    );
    const env = { FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_POOLS_FILE: pools };
    // No worker of its own: the scaler starts them, so the console can watch a pool grow.
    platform = await startPlatform(env, []);
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('media/photo.jpg', await makeJpeg(800, 600))).status).toBe(200);
    // Pinned at 0 until the test lets the scaler decide: a job then stays waiting.
    expect((await platform.asOperator('/v1/pools/image/resize', { method: 'POST', body: '{"instances":0}', headers: { 'Content-Type': 'application/json' } })).status).toBe(201);
    scaler = startApp('scaler', { ...env, REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: platform.dataDir, FOPFLOW_ADMIN_TOKEN: platform.adminToken, FOPFLOW_RUNTIME: 'process', FOPFLOW_SCALER_TICK_MS: '300' });

    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      // Logging in: HTTP Basic with the operator token as the password, as Bull Board takes it.
      httpCredentials: { username: 'operator', password: platform.adminToken },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await scaler?.stop();
    await platform?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the page and its data without the admin token, with a Basic challenge', async () => {
    for (const path of ['/console/', '/console/console.js', '/console/api/overview']) {
      const bare = await fetch(`${platform.url}${path}`);
      expect(bare.status).toBe(401);
      expect(bare.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(((await bare.json()) as { error: string }).error).toMatch(/admin pages need Authorization/);
      const wrong = await fetch(`${platform.url}${path}`, { headers: { Authorization: `Basic ${Buffer.from('x:not-the-token').toString('base64')}` } });
      expect(wrong.status).toBe(401);
    }
    // An access key's signature is no admin token.
    expect((await client.call('GET', '/console/api/overview')).status).toBe(401);
    // And a browser without credentials gets the refusal, not the page.
    const anonymous = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      // Headless, the login prompt cannot be answered: the navigation ends on the refusal.
      const bare = await anonymous.newPage();
      await expect(bare.goto(`${platform.url}/console/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      expect(await bare.locator('#pools').count()).toBe(0);
    } finally {
      await anonymous.close();
    }
  });

  it('names a bad parameter with a 400', async () => {
    const answer = await platform.asOperator('/console/api/overview?sinceS=forever');
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ code: 400, error: "sinceS must be 1 to 3600, got 'forever'" });
    expect((await platform.asOperator('/console/api/builds/none/1/log')).status).toBe(404);
  });

  it('shows a job go from waiting to done while the pool grows from 0 to a ready instance', async () => {
    const answer = await page.goto(`${platform.url}/console`);
    expect(answer?.status()).toBe(200);
    expect(page.url()).toBe(`${platform.url}/console/`);
    await page.locator('[data-pool="image"]').waitFor();
    expect(await page.locator('[data-pool="image"]').getAttribute('data-instances')).toBe('0');

    const submitted = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageView2/2/w/200', 'imageInfo'] });
    expect(submitted.status).toBe(202);
    const row = page.locator(`[data-job="${submitted.body.id}"]`);
    await row.and(page.locator('[data-state="waiting"]')).waitFor({ timeout: 20_000 });
    expect(await row.locator('td').nth(1).textContent()).toBe(AK);

    // Let the scaler decide again: it starts an instance, which runs the job.
    expect((await platform.asOperator('/v1/pools/image/resize', { method: 'DELETE' })).status).toBe(200);
    await page.locator('[data-pool="image"] .instance-state', { hasText: 'ready' }).first().waitFor({ timeout: 60_000 });
    await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(4).textContent()).toContain('100%');

    // The chart has drawn the scaler's decisions, and the latest says one instance is desired.
    const chart = page.locator('[data-pool="image"] svg.chart');
    await waitFor('decisions on the chart', async () => Number(await chart.getAttribute('data-points')) > 1);
    expect(await chart.locator('polyline[data-series="ready"]').getAttribute('points')).toMatch(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+)+$/);
    await waitFor('the decision to show a ready instance', async () => /ready [1-9]/.test((await page.locator('[data-pool="image"] .decision').textContent()) ?? ''));
  }, 120_000);

  it("lists a UFOP build and shows its log, written by the scaler's builder", async () => {
    // A UFOP whose build_script fails after printing a line: the build ends fast, with a log.
    const source = join(dir, 'failing-ufop');
    mkdirSync(source);
    writeFileSync(join(source, 'ufop.yaml'), 'image: fopflow/ffmpeg:latest\nbuild_script:\n  - echo console-build-step-ran\n  - exit 3\nrun: exec node server.js\n');
    writeFileSync(join(source, 'server.js'), '');
    const env = { ...process.env, FOPFLOW_URL: platform.url, FOPFLOW_ACCESS_KEY: AK, FOPFLOW_SECRET_KEY: SK };
    const fopctl = (...args: string[]) => promisify(execFile)(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env });
    await fopctl('reg', 'console-probe', '-m', '2');
    await fopctl('build', 'console-probe', source, '--no-wait');

    await page.goto(`${platform.url}/console/`);
    const build = page.locator('[data-build="console-probe:1"]');
    await build.waitFor({ timeout: 20_000 });
    expect(await build.locator('td').nth(3).textContent()).toBe(AK);
    await build.locator('.state-failed').waitFor({ timeout: 120_000 });
    await build.locator('button').click();
    const log = page.locator('#build-log');
    await waitFor('the build log', async () => ((await log.textContent()) ?? '').includes('console-build-step-ran'));
    expect(await log.textContent()).toMatch(/^--- console-probe version 1 \(failed\)/);
    // The whole page, kept beside the logs; the README's picture is a copy of it.
    await page.screenshot({ path: join(__dirname, '..', '..', 'test-logs', 'console.png'), fullPage: true });
  }, 180_000);

  it('opens Bull Board from its link, authenticated the same way', async () => {
    await page.goto(`${platform.url}/console/`);
    await page.click('#bull-board');
    await page.waitForURL(`${platform.url}/admin/queues`);
    // Bull Board's React app has loaded its queues through its (guarded) API.
    await page.getByText('fop.imageView2.paid').first().waitFor({ timeout: 20_000 });
  }, 60_000);
});
