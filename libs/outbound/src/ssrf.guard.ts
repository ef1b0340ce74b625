import { lookup } from 'node:dns/promises';
import { AllowList, addressFamily, blockedAddressReason, normalizeHost } from './address.policy';
import { OutboundBlockedError } from './outbound.errors';

/** Resolves a hostname to every address it has (IPv4 and IPv6). */
export type HostResolver = (host: string) => Promise<string[]>;

/** The address a checked URL must be connected to: the one that passed, not a fresh lookup. */
export interface CheckedTarget {
  address: string;
  family: 4 | 6;
}

export interface OutboundGuardOptions {
  /** FOPFLOW_ALLOWED_TARGETS: exact hostnames, IPs or CIDRs exempt from the internal-address rule; default none. */
  allowedTargets: readonly string[];
  /** DNS for the check; default `dns.promises.lookup(host, { all: true })`, which also reads /etc/hosts as a connect would. */
  resolve?: HostResolver;
}

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

/** getaddrinfo, every family, in the resolver's order: what a plain `http.request` would have used. */
export const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Decides whether Fopflow may contact a URL a user named (a notifyUrl, a source URL). It refuses
 * internal addresses unless the operator allowed them, and hands back the exact address it
 * approved so the caller connects there and nowhere else (see guardedFetch).
 */
export class OutboundGuard {
  private readonly allowList: AllowList;
  private readonly resolve: HostResolver;

  /** Throws OutboundConfigError on a malformed allow-list entry. */
  constructor(options: OutboundGuardOptions) {
    this.allowList = new AllowList(options.allowedTargets);
    this.resolve = options.resolve ?? systemResolver;
  }

  /**
   * Resolves `url`'s host once and checks every address it gets: one bad answer among good ones
   * is enough to refuse, as the connection could otherwise be steered to it. Rejects with
   * OutboundBlockedError; DNS failures reject with the resolver's own error (a name that does not
   * resolve today may tomorrow, so callers may retry those).
   */
  async check(url: URL): Promise<CheckedTarget> {
    const host = checkedForm(url);
    const literalFamily = addressFamily(host);
    const addresses = literalFamily ? [host] : await this.resolve(host);
    if (addresses.length === 0) throw new OutboundBlockedError(host, 'the name resolves to no address');
    this.checkAddresses(host, addresses);
    return { address: addresses[0], family: addressFamily(addresses[0])! };
  }

  /**
   * What can be decided without a DNS lookup or any connection: the scheme, credentials, and a
   * host written as an IP address. A hostname passes here; whoever fetches the URL runs `check`,
   * which resolves it. For callers that must decide on every request (a sync fop URL's marks).
   */
  checkWithoutLookup(url: URL): void {
    const host = checkedForm(url);
    if (addressFamily(host)) this.checkAddresses(host, [host]);
  }

  private checkAddresses(host: string, addresses: readonly string[]): void {
    const hostAllowed = this.allowList.allowsHost(host);
    for (const address of addresses) {
      const family = addressFamily(address);
      if (!family) throw new OutboundBlockedError(host, `the resolver answered '${address}', which is not an IP address`);
      if (hostAllowed || this.allowList.allowsAddress(address)) continue;
      const reason = blockedAddressReason(address);
      if (reason) throw new OutboundBlockedError(host, `${reason}; list it in FOPFLOW_ALLOWED_TARGETS to allow it`, address);
    }
  }
}

/** The URL's normalised host, once its scheme, credentials and host are acceptable. */
function checkedForm(url: URL): string {
  const host = normalizeHost(url.hostname);
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) {
    throw new OutboundBlockedError(host || url.href, `scheme '${url.protocol}' is not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in logs and in every redirect hop's Authorization; refuse them.
    throw new OutboundBlockedError(host, 'URLs with credentials (user:password@) are refused');
  }
  if (host === '') throw new OutboundBlockedError(url.href, 'the URL has no host');
  return host;
}
