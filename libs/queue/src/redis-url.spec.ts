import { parseRedisUrl } from './redis-url';

describe('parseRedisUrl', () => {
  it('takes redis:// and rediss:// as one server, as they are', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisUrl('rediss://:pw@cache.example:6380')).toEqual({ kind: 'single', url: 'rediss://:pw@cache.example:6380' });
  });

  it('takes redis+cluster:// as a cluster of seed nodes, with credentials for all of them', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3')).toEqual({
      kind: 'cluster',
      tls: false,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
    });
    expect(parseRedisUrl('rediss+cluster://fopflow:p%40ss@[::1]:7000/')).toEqual({
      kind: 'cluster',
      tls: true,
      username: 'fopflow',
      password: 'p@ss',
      nodes: [{ host: '::1', port: 7000 }],
    });
  });

  it('takes one seed node as a cluster when the scheme says so', () => {
    expect(parseRedisUrl('redis+cluster://seed:7000')).toMatchObject({ kind: 'cluster', nodes: [{ host: 'seed', port: 7000 }] });
  });

  it('takes redis+sentinel:// as sentinels and the master they watch', () => {
    expect(parseRedisUrl('redis+sentinel://:secret@10.0.0.1,10.0.0.2:26380/fopflow/2')).toEqual({
      kind: 'sentinel',
      tls: false,
      password: 'secret',
      masterName: 'fopflow',
      db: 2,
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
    });
    expect(parseRedisUrl('rediss+sentinel://s1:26379/main')).toMatchObject({ kind: 'sentinel', tls: true, masterName: 'main', db: 0 });
  });

  it.each([
    ['redis+sentinel://s1:26379', /ends with \/<master name>/],
    ['redis+sentinel://s1:26379/main/db', /ends with \/<master name>/],
    ['not a url', /must start with redis:\/\//],
    ['http://127.0.0.1:6379', /must start with redis:\/\//],
    ['redis+cluster://', /'' is not a host:port/],
    ['redis+cluster://a:7000,b:99999', /'b:99999' is not a host:port/],
    ['redis+cluster://a:7000,:7001', /':7001' is not a host:port/],
    ['redis+cluster://a:7000/3', /names nodes only/],
  ])('refuses %p, saying why', (text, pattern) => {
    expect(() => parseRedisUrl(text)).toThrow(pattern);
  });
});
