import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { ApiClient } from '../support/api-client';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';

const VICTIM = { ak: 'victimAK01', sk: 'victimSK01' };
const ATTACKER = { ak: 'attackAK01', sk: 'attackSK01' };
const KEYS = `${VICTIM.ak}:${VICTIM.sk}:paid,${ATTACKER.ak}:${ATTACKER.sk}:paid`;

interface ErrorBody {
  code: number;
  error: string;
}

const errorOf = async (answer: Response) => (await answer.json()) as ErrorBody;

describe('operator guard and operation-bound signatures (two keys, FOPFLOW_ADMIN_TOKEN unset)', () => {
  let platform: Platform;
  let victim: ApiClient;
  let attacker: ApiClient;
  const bytes = randomBytes(4096);
  const path = '/v1/objects/victim-docs/contract.bin';

  beforeAll(async () => {
    // No workers: nothing here processes media, and the gateway alone guards every route.
    platform = await startPlatform({ FOPFLOW_KEYS: KEYS, FOPFLOW_ADMIN_TOKEN: '' }, []);
    victim = new ApiClient(platform.url, VICTIM.ak, VICTIM.sk);
    attacker = new ApiClient(platform.url, ATTACKER.ak, ATTACKER.sk);
    expect((await victim.upload('victim-docs/contract.bin', bytes)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** The object as anyone reads it (the bucket is public): its bytes, exactly. */
  const storedBytes = async () => {
    const answer = await fetch(`${platform.url}/victim-docs/contract.bin`);
    expect(answer.status).toBe(200);
    return Buffer.from(await answer.arrayBuffer());
  };

  describe('signatures on /v1 routes bind the operation', () => {
    it('refuses a QBox signature captured from GET and replayed as DELETE; the object stays byte for byte', async () => {
      const captured = victim.qboxAuthorization(path);
      const read = await fetch(`${platform.url}${path}`, { headers: { Authorization: captured } });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ bucket: 'victim-docs', key: 'contract.bin', size: bytes.length });

      for (const method of ['DELETE', 'PUT']) {
        const replayed = await fetch(`${platform.url}${path}`, { method, headers: { Authorization: captured }, ...(method === 'PUT' && { body: 'overwritten' }) });
        expect(replayed.status).toBe(401);
        expect(await errorOf(replayed)).toEqual({
          code: 401,
          error: `QBox signatures are accepted only for GET and HEAD on /v1 routes: sign ${method} with the Qiniu scheme and X-Qiniu-Date`,
        });
      }
      expect((await storedBytes()).equals(bytes)).toBe(true);
    });

    it('refuses a Qiniu signature without X-Qiniu-Date on DELETE, and one whose date is stale', async () => {
      const url = `${platform.url}${path}`;
      const undated = await fetch(url, { method: 'DELETE', headers: { Authorization: qiniu.util.generateAccessTokenV2(new qiniu.auth.digest.Mac(VICTIM.ak, VICTIM.sk), url, 'DELETE', '') } });
      expect(undated.status).toBe(401);
      expect((await errorOf(undated)).error).toMatch(/^Qiniu signatures on \/v1 routes need a signed X-Qiniu-Date header/);

      const stale = victim.signedHeaders('DELETE', path, undefined, undefined, { 'X-Qiniu-Date': '20200101T000000Z' });
      const old = await fetch(url, { method: 'DELETE', headers: stale });
      expect(old.status).toBe(401);
      expect((await errorOf(old)).error).toMatch(/^X-Qiniu-Date 20200101T000000Z is \d+ s away from the server clock; at most 900 s is allowed$/);
      expect((await storedBytes()).equals(bytes)).toBe(true);
    });

    it("refuses the attacker's own QBox DELETE before any ownership question, and deletes with the owner's dated v2 signature", async () => {
      const own = await fetch(`${platform.url}${path}`, { method: 'DELETE', headers: { Authorization: attacker.qboxAuthorization(path) } });
      expect(own.status).toBe(401);
      expect((await storedBytes()).equals(bytes)).toBe(true);

      // The same route does work when the request is signed as it must be: the 401s above are the rule, not a broken route.
      expect((await victim.upload('victim-docs/scratch.bin', 'scratch')).status).toBe(200);
      expect((await victim.call('DELETE', '/v1/objects/victim-docs/scratch.bin')).status).toBe(204);
      expect((await fetch(`${platform.url}/victim-docs/scratch.bin`)).status).toBe(404);
    });
  });

  describe('the operator API without FOPFLOW_ADMIN_TOKEN', () => {
    const tokenFile = () => join(platform.dataDir, 'admin-token');
    const adminToken = () => readFileSync(tokenFile(), 'utf8').trim();

    it('keeps a generated token readable only by its owner under the data dir, and says where', () => {
      expect(adminToken()).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
      expect(platform.gateway.output()).toContain(`generated a new operator token in ${tokenFile()}`);
      expect(platform.gateway.output()).not.toContain(adminToken());
    });

    it.each(['/admin/queues', '/v1/pools', '/v1/instances', '/v1/discovery'])('%s: 401 without the token or with a key signature, 200 with it', async (route) => {
      const anonymous = await fetch(`${platform.url}${route}`);
      expect(anonymous.status).toBe(401);
      expect((await errorOf(anonymous)).error).toMatch(/^admin pages need Authorization: Bearer <FOPFLOW_ADMIN_TOKEN>/);
      expect((await victim.call('GET', route)).status).toBe(401);
      expect((await fetch(`${platform.url}${route}`, { headers: { Authorization: 'Bearer guessed-token' } })).status).toBe(401);
      expect((await fetch(`${platform.url}${route}`, { headers: { Authorization: `Bearer ${adminToken()}` } })).status).toBe(200);
    });

    it('no longer leaves UFOP administration open to unsigned calls', async () => {
      const unsigned = await fetch(`${platform.url}/v1/ufops`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"grab","mode":1}' });
      expect(unsigned.status).toBe(401);
      expect((await fetch(`${platform.url}/v1/ufops`)).status).toBe(401);
    });

    it('a restarted gateway on the same data dir keeps the same token', async () => {
      const token = adminToken();
      const port = await freePort();
      let again: AppProcess | undefined;
      try {
        again = startApp('gateway', { REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: platform.dataDir, FOPFLOW_KEYS: KEYS, FOPFLOW_ADMIN_TOKEN: '', PORT: String(port), HOST: '127.0.0.1' });
        await waitFor('second gateway /ready', async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true);
        expect(again.output()).toContain(`operator token kept in ${tokenFile()}`);
        expect((await fetch(`http://127.0.0.1:${port}/v1/pools`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
        expect(adminToken()).toBe(token);
      } finally {
        await again?.stop();
      }
    });
  });
});
