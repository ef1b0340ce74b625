import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { adminTokenMiddleware } from './admin-token.middleware';

const TOKEN = 's3cret-admin-token';

async function serve(token: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use('/admin/queues', adminTokenMiddleware(token));
  app.get('/admin/queues', (_req, res) => {
    res.send('board');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/queues`, server };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('adminTokenMiddleware', () => {
  describe('with FOPFLOW_ADMIN_TOKEN set', () => {
    let url: string;
    let server: Server;

    beforeAll(async () => ({ url, server } = await serve(TOKEN)));
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it.each([
      ['a Bearer token', `Bearer ${TOKEN}`],
      ['a bearer token in any case', `bearer ${TOKEN}`],
      ['Basic with the token as password, any user', basic('anyone', TOKEN)],
      ['Basic with an empty user name', basic('', TOKEN)],
    ])('lets %s through', async (_, authorization) => {
      const answer = await fetch(url, { headers: { Authorization: authorization } });
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe('board');
    });

    it.each([
      ['no header', undefined, /^admin pages need Authorization: Bearer <FOPFLOW_ADMIN_TOKEN>, or HTTP Basic/],
      ['another scheme', `Token ${TOKEN}`, /^admin pages need/],
      ['Basic without a password', `Basic ${Buffer.from(TOKEN).toString('base64')}`, /^admin pages need/],
      ['a wrong Bearer token', 'Bearer s3cret-admin-tokeN', /^admin token does not match FOPFLOW_ADMIN_TOKEN$/],
      ['a longer Bearer token', `Bearer ${TOKEN}x`, /^admin token does not match/],
      ['the token as the Basic user name', basic(TOKEN, 'x'), /^admin token does not match/],
    ])('refuses %s with 401, a Basic challenge and {"code","error"}', async (_, authorization, pattern) => {
      const answer = await fetch(url, { headers: authorization ? { Authorization: authorization } : {} });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="fopflow"');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(await answer.json()).toEqual({ code: 401, error: expect.stringMatching(pattern) });
    });
  });

  it('has no open mode: without a token it refuses to guard anything', () => {
    expect(() => adminTokenMiddleware('')).toThrow(/the operator pages need an admin token/);
  });
});
