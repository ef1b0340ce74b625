import { readFileSync } from 'node:fs';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { FOPCTL_BIN, runFopctl } from '../support/fopctl';
import { Platform, startPlatform } from '../support/platform';

const AK = 'ak-fopctl-one';
const SK = 'sk-fopctl-one-secret';
const OTHER_AK = 'ak-fopctl-two';
const OTHER_SK = 'sk-fopctl-two-secret';


describe('fopctl jobs against a running platform', () => {
  let platform: Platform;

  /** Runs `fopctl jobs ...` with `key` as FOPFLOW_ACCESS_KEY/SECRET_KEY. */
  const fopctl = (args: string[], key: [string, string] = [AK, SK]) => runFopctl(platform, ['jobs', ...args], key);
  const other: [string, string] = [OTHER_AK, OTHER_SK];

  beforeAll(async () => {
    // No worker at first: submitted jobs stay waiting until the test starts one.
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid` }, []);
    expect((await new ApiClient(platform.url, AK, SK).upload('media/photo.jpg', await makeJpeg(640, 480))).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('the bin is a node script', () => {
    expect(readFileSync(FOPCTL_BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it("submits a waiting job that only its owner may see and cancel", async () => {
    const submitted = await fopctl(['submit', 'media/photo.jpg', 'imageView2/2/w/100', '--json']);
    expect(submitted.code).toBe(0);
    const { id } = JSON.parse(submitted.stdout) as { id: string };

    const status = await fopctl(['status', id, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, code: 1, inputBucket: 'media', inputKey: 'photo.jpg' });

    // Another key: not found, for status, wait and cancel alike, and absent from its list.
    for (const args of [['status', id], ['wait', id], ['cancel', id]]) {
      const refused = await fopctl(args, other);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`404 no such job '${id}'`);
    }
    const theirs = await fopctl(['list', '--json'], other);
    expect(JSON.parse(theirs.stdout).items).toEqual([]);
    expect(JSON.parse((await fopctl(['status', id, '--json'])).stdout).code).toBe(1);

    const cancelled = await fopctl(['cancel', id]);
    expect(cancelled.stdout.trim()).toBe(`job ${id}: cancel requested, now failed`);
    const after = JSON.parse((await fopctl(['status', id, '--json'])).stdout) as { items: Array<{ error?: string }> };
    expect(after.items[0].error).toBe('cancelled by request');
  });

  it('submits a job and waits for it with a progress bar, then lists it as done', async () => {
    await platform.startWorker();
    const saveas = Buffer.from('media:thumb.jpg').toString('base64url');
    const run = await fopctl(['submit', 'media/photo.jpg', `imageView2/2/w/100|saveas/${saveas}`, 'imageInfo', '--wait', '--interval', '200']);
    expect(run.code).toBe(0);
    const id = /^job (\S+) queued$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    // Piped (not a terminal): one line per change of the bar, the last one full.
    const bars = run.stderr.trim().split('\n');
    expect(bars.at(-1)).toMatch(/^\[#{30}\] 100%  2\/2 done  done$/);
    expect(run.stdout).toMatch(/^state:\s+done/m);
    expect(run.stdout).toMatch(/^0\s+imageView2\/2\/w\/100\s+done\s+100%\s+thumb.jpg$/m);

    const listed = JSON.parse((await fopctl(['list', '--code', 'done', '--json'])).stdout) as { items: Array<{ id: string; code: number }> };
    expect(listed.items.map((job) => job.id)).toContain(id);
    expect(listed.items.every((job) => job.code === 0)).toBe(true);
  }, 60_000);

  it('exits 1 naming the fop when a job fails', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 1)]);
    expect((await new ApiClient(platform.url, AK, SK).upload('media/broken.jpg', broken)).status).toBe(200);
    const run = await fopctl(['submit', 'media/broken.jpg', 'imageView2/2/w/50', '--wait', '--interval', '200']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/fopctl: job \S+ failed: fop 0 \(imageView2\/2\/w\/50\): source is not a supported image/);
  }, 60_000);
});
