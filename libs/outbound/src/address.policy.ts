import * as ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import { OutboundConfigError } from './outbound.errors';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Why each special-purpose range is refused, in words an operator can act on. Every range
 * ipaddr.js knows other than plain `unicast` is refused; the ones without an entry here are
 * named by their ipaddr.js range name (benchmarking, amt, as112, orchid2, …).
 */
const RANGE_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8, ::)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16 incl. cloud metadata, fe80::/10)',
  loopback: 'a loopback address (127.0.0.0/8, ::1)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private network address (10/8, 172.16/12, 192.168/16)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  reserved: 'a reserved or documentation address',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  teredo: 'a Teredo tunnel address (2001::/32), whose real endpoint cannot be checked',
};

/** IPv4-compatible IPv6 (`::a.b.c.d`, deprecated): ipaddr.js calls it unicast, some stacks tunnel it to IPv4. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/**
 * Why `address` must not be contacted, or undefined when it is ordinary global unicast.
 * IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address,
 * so `::ffff:10.0.0.1` is as private as `10.0.0.1`.
 */
export function blockedAddressReason(address: string): string | undefined {
  let parsed: Address;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  return reasonFor(parsed);
}

function reasonFor(ip: Address): string | undefined {
  if (ip.kind() === 'ipv4') {
    const range = (ip as ipaddr.IPv4).range();
    return range === 'unicast' ? undefined : (RANGE_REASONS[range] ?? `a special-purpose address (${range})`);
  }
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range();
  const embedded = embeddedIPv4(v6, range);
  if (embedded) {
    const inner = reasonFor(embedded);
    return inner && `an IPv6 form (${range}) of ${embedded.toString()}, ${inner}`;
  }
  if (range === 'unicast') {
    // `::` itself is 'unspecified' and `::1` 'loopback'; what remains of ::/96 is the deprecated form.
    return v6.match(IPV4_COMPATIBLE) ? 'an IPv4-compatible IPv6 address (::/96, deprecated)' : undefined;
  }
  return RANGE_REASONS[range] ?? `a special-purpose address (${range})`;
}

/** The IPv4 address an IPv6 address stands for, for the forms whose IPv4 part is reachable. */
function embeddedIPv4(ip: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const bytes = ip.toByteArray();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64), 64:ff9b:1::/48 local NAT64
      return new ipaddr.IPv4(bytes.slice(12, 16));
    case '6to4': // 2002:aabb:ccdd::/48
      return new ipaddr.IPv4(bytes.slice(2, 6));
    default:
      return undefined;
  }
}

/** Address family of an IP literal (4 or 6), or undefined for anything else. */
export function addressFamily(address: string): 4 | 6 | undefined {
  const family = isIP(address);
  return family === 4 || family === 6 ? family : undefined;
}

/** `[::1]` → `::1`; lower case; no trailing dot, so `Example.com.` and `example.com` are one host. */
export function normalizeHost(host: string): string {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return unbracketed.toLowerCase().replace(/\.$/, '');
}

/** A DNS hostname (lower case, as normalizeHost leaves it): labels of letters, digits, '_' and '-'. */
export const HOSTNAME_PATTERN = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * FOPFLOW_ALLOWED_TARGETS: the operator's exceptions to the SSRF rules. An entry is an exact
 * hostname (no wildcards: `*.corp` would let any new internal name through), an IP address or a
 * CIDR. A hostname entry admits whatever that name resolves to; IP and CIDR entries admit the
 * resolved address whatever name led to it.
 */
export class AllowList {
  private readonly hosts = new Set<string>();
  private readonly ranges: Array<[Address, number]> = [];

  /** Throws OutboundConfigError naming the first entry that is neither a hostname, an IP nor a CIDR. */
  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = normalizeHost(raw.trim());
      if (entry === '') continue;
      if (entry.includes('/')) {
        if (!ipaddr.isValidCIDR(entry)) throw badEntry(raw, 'not a valid CIDR');
        this.ranges.push(normalizeRange(ipaddr.parseCIDR(entry)));
      } else if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
        const ip = ipaddr.process(entry);
        this.ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
      } else if (HOSTNAME_PATTERN.test(entry)) {
        this.hosts.add(entry);
      } else {
        throw badEntry(raw, 'not a hostname');
      }
    }
  }

  /** True when the hostname `host` (as in a URL) is listed by name. */
  allowsHost(host: string): boolean {
    return this.hosts.has(normalizeHost(host));
  }

  /** True when the resolved `address` lies in a listed IP or CIDR (IPv4-mapped IPv6 counts as IPv4). */
  allowsAddress(address: string): boolean {
    let ip: Address;
    try {
      ip = ipaddr.process(address);
    } catch {
      return false;
    }
    return this.ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits));
  }

  /** True when nothing is listed: every internal address is refused. */
  get isEmpty(): boolean {
    return this.hosts.size === 0 && this.ranges.length === 0;
  }
}

/** `::ffff:10.0.0.0/104` is written by some operators for 10/8; match it as the IPv4 range it is. */
function normalizeRange([base, bits]: [Address, number]): [Address, number] {
  if (base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(base as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [base, bits];
}

function badEntry(entry: string, why: string): OutboundConfigError {
  return new OutboundConfigError(
    `FOPFLOW_ALLOWED_TARGETS entry '${entry}': ${why}; expected a hostname, an IP address or a CIDR (no ports, no schemes)`,
  );
}
