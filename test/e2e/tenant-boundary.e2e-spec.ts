import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import qiniu from 'qiniu';
import { encodeEntryUri, qiniuSign } from '@fopflow/auth';
import { resultKey } from '@fopflow/queue';
import { qetag } from '@fopflow/storage';
import { ApiClient } from '../support/api-client';
import { makeClip, makeJpeg, makePng } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { operationManager, sdkCall } from '../support/qiniu-sdk';

/**
 * The tenant boundary, tried as an attacker holding a key of its own would: every route and every
 * object a fop can name, against a victim's public and private buckets. Each attack is refused
 * and the victim's objects stay byte for byte what they were.
 */
const VICTIM = { ak: 'victimAK01', sk: 'victimSK01-secret' };
const ATTACKER = { ak: 'attackAK01', sk: 'attackSK01-secret' };

const b64 = (text: string) => Buffer.from(text).toString('base64url');

interface Answer {
  status: number;
  error?: string;
}

describe('tenant boundary: two keys, one attacker', () => {
  let platform: Platform;
  let victim: ApiClient;
  let attacker: ApiClient;
  const originals = new Map<string, Buffer>();

  const errorOf = async (response: Response): Promise<Answer> => {
    const text = await response.text();
    let error: string | undefined;
    try {
      error = (JSON.parse(text) as { error?: string }).error;
    } catch {
      error = undefined;
    }
    return { status: response.status, error };
  };
  const get = (path: string) => fetch(`${platform.url}/${path}`).then(errorOf);
  /** A fop URL whose saveas is signed by `signer`, as Qiniu's rules want: host/path?query up to /sign/. */
  const savingUrl = (path: string, signer: { ak: string; sk: string }) => {
    const host = new URL(platform.url).host;
    return `${path}/sign/${signer.ak}:${qiniuSign(signer.sk, `${host}/${path}`)}`;
  };
  const submit = (client: ApiClient, body: unknown) => client.call('POST', '/v1/jobs', body).then(errorOf);
  const asOperator = async (path: string) => Buffer.from(await (await platform.asOperator(path)).arrayBuffer());

  /** The victim's objects, byte for byte as first stored, and nothing new in its buckets. */
  const expectVictimIntact = async () => {
    for (const [path, bytes] of originals) expect((await asOperator(`/${path}`)).equals(bytes)).toBe(true);
    for (const bucket of ['vpub', 'vpriv']) {
      const listed = (await (await platform.asOperator(`/v1/objects/${bucket}`)).json()) as { items: Array<{ key: string }> };
      expect(listed.items.map((item) => `${bucket}/${item.key}`).sort()).toEqual([...originals.keys()].filter((path) => path.startsWith(`${bucket}/`)).sort());
    }
  };

  beforeAll(async () => {
    platform = await startPlatform({
      FOPFLOW_KEYS: `${VICTIM.ak}:${VICTIM.sk}:paid,${ATTACKER.ak}:${ATTACKER.sk}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
    });
    victim = new ApiClient(platform.url, VICTIM.ak, VICTIM.sk);
    attacker = new ApiClient(platform.url, ATTACKER.ak, ATTACKER.sk);

    const dir = mkdtempSync(join(tmpdir(), 'fopflow-tenant-'));
    await makeClip(join(dir, 'clip.mp4'), { seconds: 1, size: '160x120' });
    const clip = readFileSync(join(dir, 'clip.mp4'));
    rmSync(dir, { recursive: true, force: true });

    expect((await victim.call('PUT', '/v1/buckets/vpriv', { private: true })).status).toBe(200);
    const victimObjects: Array<[string, Buffer, string]> = [
      ['vpub/photo.jpg', await makeJpeg(200, 150), 'image/jpeg'],
      ['vpub/target.jpg', await makeJpeg(40, 30), 'image/jpeg'],
      ['vpriv/logo.png', await makePng(20, 20), 'image/png'],
      ['vpriv/target.jpg', await makeJpeg(30, 40), 'image/jpeg'],
      ['vpriv/clip.mp4', clip, 'video/mp4'],
    ];
    for (const [path, bytes, type] of victimObjects) {
      expect((await victim.upload(path, bytes, type)).status).toBe(200);
      originals.set(path, bytes);
    }
    expect((await attacker.upload('apub/photo.jpg', await makeJpeg(200, 150), 'image/jpeg')).status).toBe(200);
    expect((await attacker.upload('apub/clip.mp4', clip, 'video/mp4')).status).toBe(200);
  }, 120_000);

  afterAll(() => platform?.stop());

  describe('saveas into the victim', () => {
    it.each([
      ['a public bucket', 'vpub', 403],
      ['a private bucket', 'vpriv', 404],
    ])('refuses a fop URL whose saveas, signed with the attacker key, targets %s', async (_, bucket, status) => {
      const answer = await get(savingUrl(`apub/photo.jpg?imageView2/2/w/50|saveas/${encodeEntryUri(bucket, 'target.jpg')}`, ATTACKER));
      expect(answer).toMatchObject({ status, error: expect.stringContaining(`'${bucket}'`) });
      await expectVictimIntact();
    });

    // A bucket-only target (Qiniu's default key: the result's qetag) is decided per bucket like any other.
    it.each([
      ['a public bucket', 'vpub', 403],
      ['a private bucket', 'vpriv', 404],
    ])('refuses a bucket-only saveas, signed with the attacker key, into %s', async (_, bucket, status) => {
      const answer = await get(savingUrl(`apub/photo.jpg?imageView2/2/w/50|saveas/${encodeEntryUri(bucket)}`, ATTACKER));
      expect(answer).toMatchObject({ status, error: expect.stringContaining(`'${bucket}'`) });
      await expectVictimIntact();
    });

    it('saves a bucket-only target under the qetag of the result, Qiniu\'s default key', async () => {
      const answer = await fetch(`${platform.url}/${savingUrl(`apub/photo.jpg?imageView2/2/w/40|saveas/${encodeEntryUri('akeyless')}`, ATTACKER)}`);
      expect(answer.status).toBe(200);
      const bytes = Buffer.from(await answer.arrayBuffer());
      const listed = (await attacker.json<{ items: Array<{ key: string; hash?: string; etag?: string }> }>('GET', '/v1/objects/akeyless')).body.items;
      expect(listed.map((item) => item.key)).toEqual([qetag(bytes)]);
      expect((await asOperator(`/akeyless/${qetag(bytes)}`)).equals(bytes)).toBe(true);
    });

    it('lets the attacker save into a new bucket, which is then the attacker\'s', async () => {
      const answer = await fetch(`${platform.url}/${savingUrl(`apub/photo.jpg?imageView2/2/w/50|saveas/${encodeEntryUri('afresh', 'thumb.jpg')}`, ATTACKER)}`);
      expect(answer.status).toBe(200);
      const mine = (await attacker.json<{ items: Array<{ name: string; owner: string }> }>('GET', '/v1/buckets')).body.items;
      expect(mine).toContainEqual(expect.objectContaining({ name: 'afresh', owner: ATTACKER.ak }));
      const theirs = (await victim.json<{ items: Array<{ name: string }> }>('GET', '/v1/buckets')).body.items.map((bucket) => bucket.name);
      expect(theirs).not.toContain('afresh');
    });

    it.each([
      ['public', 'vpub', 403],
      ['private', 'vpriv', 404],
    ])('refuses POST /v1/jobs saving with force into a %s bucket of the victim', async (_, bucket, status) => {
      const answer = await submit(attacker, {
        source: { bucket: 'apub', key: 'photo.jpg' },
        fops: [`imageView2/2/w/10|saveas/${encodeEntryUri(bucket, 'target.jpg')}`],
        force: true,
      });
      expect(answer).toMatchObject({ status, error: expect.stringContaining(`saveas ${bucket}:target.jpg`) });
      await expectVictimIntact();
    });

    it('refuses a whole batch when one of its jobs saves into the victim, and records none of it', async () => {
      const before = (await attacker.json<{ items: unknown[] }>('GET', '/v1/jobs')).body.items.length;
      const answer = await attacker
        .call('POST', '/v1/jobs/batch', {
          jobs: [
            { source: { bucket: 'apub', key: 'photo.jpg' }, fops: ['imageInfo'] },
            { source: { bucket: 'apub', key: 'photo.jpg' }, fops: [`imageView2/2/w/10|saveas/${encodeEntryUri('vpub', 'target.jpg')}`], force: true },
          ],
        })
        .then(errorOf);
      expect(answer).toMatchObject({ status: 403, error: expect.stringMatching(/^jobs\[1\]: /) });
      expect((await attacker.json<{ items: unknown[] }>('GET', '/v1/jobs')).body.items).toHaveLength(before);
      await expectVictimIntact();
    });

    it('refuses a job whose source is a URL and whose saveas is the victim\'s', async () => {
      const answer = await submit(attacker, {
        source: { url: `${platform.url}/apub/photo.jpg` },
        fops: [`imageView2/2/w/10|saveas/${encodeEntryUri('vpub', 'target.jpg')}`],
        force: true,
      });
      expect(answer.status).toBe(403);
      await expectVictimIntact();
    });

    it('refuses a job on the victim\'s public object whose result would default into the victim\'s bucket', async () => {
      const answer = await submit(attacker, { source: { bucket: 'vpub', key: 'photo.jpg' }, fops: ['imageView2/2/w/10'] });
      expect(answer).toMatchObject({ status: 403, error: expect.stringContaining("bucket 'vpub' belongs to another account") });
      await expectVictimIntact();
    });

    it('refuses pfop through Qiniu\'s SDK, saving with force into the victim\'s bucket', async () => {
      const { operations } = operationManager(platform.url, ATTACKER.ak, ATTACKER.sk);
      const fop = `imageView2/2/w/10|saveas/${encodeEntryUri('vpriv', 'target.jpg')}`;
      const { respInfo, respBody } = await sdkCall((done) => operations.pfop('apub', 'photo.jpg', [fop], '', { force: true }, done));
      expect(respInfo.statusCode).toBe(404);
      expect(JSON.stringify(respBody)).toContain("no such bucket 'vpriv'");
      const fromVictim = await sdkCall((done) => operations.pfop('vpriv', 'clip.mp4', ['avinfo'], '', { force: true }, done));
      expect(fromVictim.respInfo.statusCode).toBe(404);
      await expectVictimIntact();
    });
  });

  describe('objects named inside a fop', () => {
    const logoForms: Array<[string, (publicUrl: string) => string]> = [
      ['bucket:key', () => b64('vpriv:logo.png')],
      ['a URL on the platform\'s own host', (publicUrl) => b64(`${publicUrl}/vpriv/logo.png`)],
      ['an own-host URL with an escaped key', (publicUrl) => b64(`${publicUrl}/vpriv/%6Cogo.png`)],
    ];

    it.each(logoForms)('refuses watermark/1 naming the victim\'s private logo as %s', async (_, token) => {
      const answer = await get(`apub/photo.jpg?watermark/1/image/${token(platform.url)}`);
      expect(answer).toMatchObject({ status: 404, error: expect.stringMatching(/^step 1 \(watermark\) reads vpriv:logo\.png: no such bucket 'vpriv'/) });
    });

    it('takes /vpriv/logo.png on another host as an outside mark, no tenant\'s object, and its guard refuses an internal address', async () => {
      const answer = await get(`apub/photo.jpg?watermark/1/image/${b64('http://10.0.0.1/vpriv/logo.png')}`);
      expect(answer).toMatchObject({ status: 400, error: expect.stringMatching(/^step 1 \(watermark\) fetches http:\/\/10\.0\.0\.1\/vpriv\/logo\.png: outbound request to '10\.0\.0\.1' blocked/) });
    });

    it('refuses the reference in a later step of a pipeline, and among several marks', async () => {
      const later = await get(`apub/photo.jpg?imageView2/2/w/100|imageMogr2/rotate/90|watermark/1/image/${b64('vpriv:logo.png')}`);
      expect(later).toMatchObject({ status: 404, error: expect.stringContaining('step 3 (watermark)') });
      const marks = await get(`apub/photo.jpg?watermark/3/text/${b64('hi')}/image/${b64('vpriv:logo.png')}`);
      expect(marks.status).toBe(404);
    });

    it('refuses avthumb\'s wmImage from the victim\'s private bucket', async () => {
      const answer = await get(`apub/clip.mp4?avthumb/mp4/wmImage/${b64('vpriv:logo.png')}`);
      expect(answer).toMatchObject({ status: 404, error: expect.stringContaining('(avthumb) reads vpriv:logo.png') });
    });

    it('refuses avthumb\'s subtitle from the victim\'s private bucket', async () => {
      const answer = await get(`apub/clip.mp4?avthumb/mp4/subtitle/${b64('vpriv:film.srt')}`);
      expect(answer).toMatchObject({ status: 404, error: expect.stringContaining('(avthumb) reads vpriv:film.srt') });
    });

    it('refuses avconcat copying the victim\'s private video, and a watermark job', async () => {
      const concat = await submit(attacker, {
        source: { bucket: 'apub', key: 'clip.mp4' },
        fops: [`avconcat/2/format/mp4/${b64('vpriv:clip.mp4')}|saveas/${encodeEntryUri('apub', 'stolen.mp4')}`],
      });
      expect(concat).toMatchObject({ status: 404, error: expect.stringContaining('(avconcat) reads vpriv:clip.mp4') });
      const marked = await submit(attacker, { source: { bucket: 'apub', key: 'photo.jpg' }, fops: [`watermark/1/image/${b64('vpriv:logo.png')}`] });
      expect(marked.status).toBe(404);
      expect((await get('apub/stolen.mp4')).status).toBe(404);
    });

    it('lets the owner use its private logo, without the result reaching anyone else through the cache', async () => {
      const fop = `vpub/photo.jpg?watermark/1/image/${b64('vpriv:logo.png')}`;
      const mac = new qiniu.auth.digest.Mac(VICTIM.ak, VICTIM.sk);
      const signed = new qiniu.rs.BucketManager(mac, new qiniu.conf.Config()).privateDownloadUrl(platform.url, fop, Math.trunc(Date.now() / 1000) + 600);
      const own = await fetch(signed);
      expect(own.status).toBe(200);
      expect(own.headers.get('x-fop-cache')).toBe('MISS');
      // The same fop without the owner's token: decided before the cache is asked, so no HIT.
      expect(await get(fop)).toMatchObject({ status: 404 });
      const attackerToken = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(ATTACKER.ak, ATTACKER.sk), new qiniu.conf.Config());
      expect((await fetch(attackerToken.privateDownloadUrl(platform.url, fop, Math.trunc(Date.now() / 1000) + 600))).status).toBe(404);
    });

    it('lets anyone name a public object, as anyone may download it', async () => {
      const answer = await fetch(`${platform.url}/apub/photo.jpg?watermark/1/image/${b64('vpub:target.jpg')}`);
      expect(answer.status).toBe(200);
    });
  });

  describe('owners, system buckets and settings', () => {
    it('gives a bucket made with the admin token to the operator: no key deletes, lists or writes in it', async () => {
      expect((await platform.asOperator('/v1/buckets/opbucket', { method: 'PUT' })).status).toBe(200);
      const put = await platform.asOperator('/v1/objects/opbucket/a.jpg', { method: 'PUT', body: await makeJpeg(10, 10) });
      expect(put.status).toBe(200);
      const all = (await (await platform.asOperator('/v1/buckets')).json()) as { items: Array<{ name: string; owner: string }> };
      expect(all.items).toContainEqual(expect.objectContaining({ name: 'opbucket', owner: '@operator' }));
      expect(all.items.every((bucket) => typeof bucket.owner === 'string')).toBe(true);

      expect((await attacker.call('DELETE', '/v1/objects/opbucket/a.jpg').then(errorOf)).status).toBe(403);
      expect((await attacker.call('GET', '/v1/objects/opbucket')).status).toBe(403);
      expect((await attacker.upload('opbucket/b.jpg', Buffer.from('x'))).status).toBe(403);
      expect((await attacker.json<{ items: Array<{ name: string }> }>('GET', '/v1/buckets')).body.items.map((bucket) => bucket.name)).not.toContain('opbucket');
      expect((await fetch(`${platform.url}/opbucket/a.jpg`)).status).toBe(200);
    });

    it('keeps the fopflow- namespace from every key: not created, written, listed or read', async () => {
      const created = await attacker.call('PUT', '/v1/buckets/fopflow-ufop-uploads').then(errorOf);
      expect(created).toMatchObject({ status: 403, error: expect.stringContaining('reserved for the platform') });
      expect((await attacker.upload('fopflow-mine/x.tar', Buffer.from('x'))).status).toBe(403);
      expect((await platform.asOperator('/v1/buckets/fopflow-ops', { method: 'PUT' })).status).toBe(200);
      expect((await attacker.call('GET', '/v1/objects/fopflow-ops')).status).toBe(404);
      expect((await attacker.upload('fopflow-ops/x.tar', Buffer.from('x'))).status).toBe(404);
      expect((await get('fopflow-ops/x.tar')).status).toBe(404);
      expect((await get(savingUrl(`apub/photo.jpg?imageInfo|saveas/${encodeEntryUri('fopflow-ops', 'x')}`, ATTACKER))).status).toBe(404);
    });

    it('lets only the owner make a bucket private or public again', async () => {
      expect((await victim.upload('vflip/photo.jpg', await makeJpeg(20, 20), 'image/jpeg')).status).toBe(200);
      expect((await fetch(`${platform.url}/vflip/photo.jpg`)).status).toBe(200);
      expect((await attacker.call('PUT', '/v1/buckets/vflip', { private: true })).status).toBe(403);
      const made = await victim.json<{ private: boolean; owner: string }>('PUT', '/v1/buckets/vflip', { private: true });
      expect(made).toMatchObject({ status: 200, body: { private: true, owner: VICTIM.ak } });
      expect((await get('vflip/photo.jpg')).status).toBe(401);
      expect((await get('vflip/photo.jpg?imageInfo')).status).toBe(401);
      expect((await attacker.call('PUT', '/v1/buckets/vflip', { private: false })).status).toBe(404);
      expect((await victim.call('PUT', '/v1/buckets/vflip', { private: false })).status).toBe(200);
      expect((await fetch(`${platform.url}/vflip/photo.jpg`)).status).toBe(200);
    });
  });

  describe('the worker decides again', () => {
    let connection: IORedis;
    let eventsConnection: IORedis;
    let queue: Queue;
    let events: QueueEvents;

    beforeAll(async () => {
      connection = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
      queue = new Queue('fop.imageView2.paid', { connection });
      eventsConnection = connection.duplicate();
      events = new QueueEvents('fop.imageView2.paid', { connection: eventsConnection });
      await events.waitUntilReady();
    });

    afterAll(async () => {
      await events?.close();
      await queue?.close();
      eventsConnection?.disconnect();
      connection?.disconnect();
    });

    /** Adds a job as a gateway would, without the gateway's checks, and answers why it failed. */
    const forged = async (name: string, data: Record<string, unknown>, pipeline: string) => {
      const source = (await (await platform.asOperator(`/v1/objects/${(data.source as { bucket: string }).bucket}/${(data.source as { key: string }).key}`)).json()) as {
        bucket: string;
        key: string;
        etag: string;
        size: number;
      };
      const job = await queue.add(pipeline, {
        source: { bucket: source.bucket, key: source.key, etag: source.etag, size: source.size },
        pipeline,
        tier: 'paid',
        resultKey: resultKey(source.bucket, source.key, source.etag, `${pipeline}#${name}`),
        requestedAt: Date.now(),
        ...data,
      });
      return job.waitUntilFinished(events).then(
        () => 'completed',
        (error: Error) => error.message,
      );
    };

    it('refuses a queued saveas into the victim\'s bucket from the account in the job', async () => {
      const failure = await forged('saveas', { source: { bucket: 'apub', key: 'photo.jpg' }, saveas: { bucket: 'vpub', key: 'target.jpg' }, account: ATTACKER.ak }, 'imageView2/2/w/10');
      expect(failure).toMatch(/^\[403\] saveas vpub:target\.jpg: bucket 'vpub' belongs to another account/);
      await expectVictimIntact();
    });

    it('refuses a queued job reading the victim\'s private source or logo', async () => {
      const source = await forged('source', { source: { bucket: 'vpriv', key: 'target.jpg' }, account: ATTACKER.ak }, 'imageView2/2/w/10');
      expect(source).toMatch(/^\[404\] source vpriv:target\.jpg: no such bucket 'vpriv'/);
      const mark = await forged('mark', { source: { bucket: 'apub', key: 'photo.jpg' }, account: ATTACKER.ak }, `imageView2/2/w/100|watermark/1/image/${b64('vpriv:logo.png')}`);
      expect(mark).toMatch(/^\[404\] step 2\/2 \(watermark\): watermark reads vpriv:logo\.png: no such bucket 'vpriv'/);
      // A job that names no account (from an older gateway) acts as anonymous: public objects only.
      const legacy = await forged('legacy', { source: { bucket: 'vpriv', key: 'target.jpg' } }, 'imageView2/2/w/10');
      expect(legacy).toMatch(/^\[404\]/);
      await expectVictimIntact();
    });
  });
});
