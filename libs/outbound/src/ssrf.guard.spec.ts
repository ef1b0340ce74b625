import { AllowList, blockedAddressReason } from './address.policy';
import { OutboundBlockedError, OutboundConfigError } from './outbound.errors';
import { HostResolver, OutboundGuard } from './ssrf.guard';

/** A resolver that answers from a table and counts calls: specs never touch real DNS. */
function fakeDns(table: Record<string, string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return Object.assign(resolve, { calls });
}

async function blockedBy(guard: OutboundGuard, url: string): Promise<OutboundBlockedError> {
  const error = await guard.check(new URL(url)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundBlockedError);
  return error as OutboundBlockedError;
}

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
    ['2002:a00:1::1', 'private'], // 6to4 of 10.0.0.1
    ['::7f00:1', 'IPv4-compatible'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ])('refuses %s (%s)', (address, why) => {
    expect(blockedAddressReason(address)).toContain(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'accepts the public address %s',
    (address) => {
      expect(blockedAddressReason(address)).toBeUndefined();
    },
  );

  it('refuses what is not an address at all', () => {
    expect(blockedAddressReason('example.com')).toBe('not an IP address');
  });
});

describe('AllowList', () => {
  it('matches exact hostnames without wildcards, case and trailing dot aside', () => {
    const list = new AllowList(['Hooks.Internal.', ' ', '']);
    expect(list.allowsHost('hooks.internal')).toBe(true);
    expect(list.allowsHost('HOOKS.internal.')).toBe(true);
    expect(list.allowsHost('a.hooks.internal')).toBe(false);
    expect(list.allowsHost('internal')).toBe(false);
  });

  it('matches IPs and CIDRs, IPv4-mapped addresses as IPv4', () => {
    const list = new AllowList(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '[::1]']);
    expect(list.allowsAddress('10.200.3.4')).toBe(true);
    expect(list.allowsAddress('::ffff:10.200.3.4')).toBe(true);
    expect(list.allowsAddress('11.0.0.1')).toBe(false);
    expect(list.allowsAddress('192.168.1.7')).toBe(true);
    expect(list.allowsAddress('192.168.1.8')).toBe(false);
    expect(list.allowsAddress('fd12::1')).toBe(true);
    expect(list.allowsAddress('fc12::1')).toBe(false);
    expect(list.allowsAddress('::1')).toBe(true);
  });

  it('fails fast on a malformed entry, naming it', () => {
    expect(() => new AllowList(['10.0.0.0/33'])).toThrow(OutboundConfigError);
    expect(() => new AllowList(['hooks.internal:8080'])).toThrow(/'hooks.internal:8080'/);
    expect(() => new AllowList(['http://hooks.internal'])).toThrow(/no ports, no schemes/);
    expect(() => new AllowList(['*.internal'])).toThrow(OutboundConfigError);
  });
});

describe('OutboundGuard.check', () => {
  const dns = fakeDns({
    'public.example': ['93.184.216.34', '2606:2800:220:1::1'],
    'internal.example': ['10.1.2.3'],
    'metadata.example': ['169.254.169.254'],
    'mixed.example': ['93.184.216.34', '10.1.2.3'],
    'mapped.example': ['::ffff:127.0.0.1'],
    'v6-private.example': ['fd00::5'],
    'hooks.internal': ['10.9.9.9'],
    'office.example': ['192.168.1.7'],
  });
  const strict = new OutboundGuard({ allowedTargets: [], resolve: dns });

  it('approves a public name and hands back the address to connect to', async () => {
    await expect(strict.check(new URL('https://public.example/hook'))).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    await expect(strict.check(new URL('http://[2606:4700:4700::1111]:8080/'))).resolves.toEqual({ address: '2606:4700:4700::1111', family: 6 });
  });

  it('refuses names that resolve inside, naming host, address and reason', async () => {
    const error = await blockedBy(strict, 'http://internal.example/hook');
    expect(error.status).toBe(400);
    expect(error.host).toBe('internal.example');
    expect(error.address).toBe('10.1.2.3');
    expect(error.message).toMatch(/'internal.example'.*10\.1\.2\.3.*private network.*FOPFLOW_ALLOWED_TARGETS/);
    expect((await blockedBy(strict, 'http://metadata.example/latest/meta-data/')).message).toContain('link-local');
    expect((await blockedBy(strict, 'http://mapped.example/')).message).toContain('127.0.0.1');
    expect((await blockedBy(strict, 'http://v6-private.example/')).message).toContain('unique local');
  });

  it('refuses when any one of several addresses is internal', async () => {
    expect((await blockedBy(strict, 'http://mixed.example/')).address).toBe('10.1.2.3');
  });

  it('refuses IP literals in every spelling the URL parser accepts, without asking DNS', async () => {
    const literalDns = fakeDns({});
    const guard = new OutboundGuard({ allowedTargets: [], resolve: literalDns });
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/', // decimal 127.0.0.1
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://0.0.0.0:6379/',
      'http://[fe80::1]/',
    ]) {
      await blockedBy(guard, url);
    }
    expect(literalDns.calls).toEqual([]);
  });

  it('refuses other schemes and URLs with credentials before resolving', async () => {
    const before = dns.calls.length;
    expect((await blockedBy(strict, 'ftp://public.example/x')).message).toContain("scheme 'ftp:'");
    expect((await blockedBy(strict, 'file:///etc/passwd')).message).toContain("scheme 'file:'");
    const withCredentials = await blockedBy(strict, 'https://user:hunter2@public.example/');
    expect(withCredentials.message).toContain('credentials');
    expect(withCredentials.message).not.toContain('hunter2');
    expect(dns.calls.length).toBe(before);
  });

  it('lets the allow-list admit a hostname, an IP or a CIDR', async () => {
    const byName = new OutboundGuard({ allowedTargets: ['hooks.internal'], resolve: dns });
    await expect(byName.check(new URL('http://hooks.internal/'))).resolves.toEqual({ address: '10.9.9.9', family: 4 });
    await blockedBy(byName, 'http://internal.example/');

    const byIp = new OutboundGuard({ allowedTargets: ['192.168.1.7', '127.0.0.1'], resolve: dns });
    await expect(byIp.check(new URL('http://office.example/'))).resolves.toEqual({ address: '192.168.1.7', family: 4 });
    await expect(byIp.check(new URL('http://127.0.0.1:9/'))).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await blockedBy(byIp, 'http://127.0.0.2/');

    const byCidr = new OutboundGuard({ allowedTargets: ['10.0.0.0/8', 'fd00::/8'], resolve: dns });
    await expect(byCidr.check(new URL('http://internal.example/'))).resolves.toMatchObject({ address: '10.1.2.3' });
    await expect(byCidr.check(new URL('http://v6-private.example/'))).resolves.toEqual({ address: 'fd00::5', family: 6 });
    await blockedBy(byCidr, 'http://metadata.example/');
  });

  it('passes DNS failures through unchanged, as they are worth retrying', async () => {
    await expect(strict.check(new URL('http://nowhere.example/'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses a resolver answer that is empty or not an address', async () => {
    const odd = new OutboundGuard({ allowedTargets: [], resolve: async (host) => (host === 'empty.example' ? [] : ['nonsense']) });
    expect((await blockedBy(odd, 'http://empty.example/')).message).toContain('no address');
    expect((await blockedBy(odd, 'http://odd.example/')).message).toContain("'nonsense'");
  });
});

describe('OutboundGuard.checkWithoutLookup', () => {
  const dns = fakeDns({});
  const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'], resolve: dns });
  const refusal = (url: string) => {
    try {
      guard.checkWithoutLookup(new URL(url));
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('refuses internal IP literals not on the allow-list, other schemes and credentials, without asking DNS', () => {
    expect(refusal('http://169.254.169.254/x.png')).toMatchObject({ host: '169.254.169.254', reason: expect.stringContaining('link-local') });
    expect(refusal('http://127.0.0.2:8080/x.png')).toMatchObject({ host: '127.0.0.2', reason: expect.stringContaining('loopback') });
    expect(refusal('http://[::1]/x.png')).toBeInstanceOf(OutboundBlockedError);
    expect(refusal('http://0x7f.2/x.png')).toBeInstanceOf(OutboundBlockedError);
    expect(refusal('ftp://cdn.example/x.png')).toBeInstanceOf(OutboundBlockedError);
    expect(refusal('http://user:pw@cdn.example/x.png')).toBeInstanceOf(OutboundBlockedError);
    expect(dns.calls).toEqual([]);
  });

  it('passes an allowed or public IP literal and any hostname, which are checked when fetched', () => {
    expect(refusal('http://127.0.0.1:9/x.png')).toBeUndefined();
    expect(refusal('http://93.184.216.34/x.png')).toBeUndefined();
    expect(refusal('http://localhost/x.png')).toBeUndefined();
    expect(dns.calls).toEqual([]);
  });
});
