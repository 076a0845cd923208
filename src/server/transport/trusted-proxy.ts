import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The client address behind trusted reverse proxies. A forwarding header is
 * believed only when the TCP peer is one of the configured proxies, and then
 * only as far as it was written by them: walking the header from the right
 * (each proxy appends the address it saw), trusted proxies are skipped and
 * the first address that is not one is the client. Everything left of it was
 * sent by the client and is ignored, so a client cannot pick its address by
 * sending its own header, neither straight to the server nor through a proxy.
 */
export interface TrustProxyOptions {
  /** Addresses (`10.0.0.5`, `::1`) or CIDR ranges (`10.0.0.0/8`) of the proxies in front of the server. */
  proxies: readonly string[];
  /** The header they append the client's address to. Default `x-forwarded-for`. */
  header?: string;
}

export interface TrustedProxy {
  /** Whether a TCP peer is one of the trusted proxies. */
  isProxy(address: string | undefined): boolean;
  /** The client address of a request: the right-most address in the header that is not a trusted proxy. */
  clientIp(request: IncomingMessage): string;
}

/** Builds the trust check; throws a TypeError naming a bad entry. */
export function trustProxy(options: TrustProxyOptions, name = 'trustProxy'): TrustedProxy {
  if (!options || typeof options !== 'object' || !Array.isArray(options.proxies)) {
    throw new TypeError(`${name}.proxies must be an array of addresses or CIDR ranges`);
  }
  if (options.proxies.length === 0) throw new TypeError(`${name}.proxies must name at least one proxy`);
  const header = (options.header ?? 'x-forwarded-for').toLowerCase();
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
    throw new TypeError(`${name}.header must be an HTTP header name, got ${JSON.stringify(options.header)}`);
  }
  const trusted = new BlockList();
  for (const entry of options.proxies) addRange(trusted, entry, name);
  const isProxy = (address: string | undefined): boolean => {
    const plain = address === undefined ? undefined : canonicalAddress(address);
    return plain !== undefined && trusted.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  };
  return {
    isProxy,
    clientIp(request) {
      const peer = request.socket.remoteAddress ?? 'unknown';
      if (!isProxy(peer)) return canonicalAddress(peer) ?? peer;
      const raw = request.headers[header];
      const hops = (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
        .split(',')
        .map((hop) => hop.trim())
        .filter((hop) => hop !== '');
      let client = canonicalAddress(peer) ?? peer;
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = canonicalAddress(hops[i] as string);
        // Not an address: not written by a proxy we trust; the last trusted hop stands for the client.
        if (hop === undefined) return client;
        client = hop;
        if (!isProxy(hop)) return hop;
      }
      return client;
    },
  };
}

function addRange(list: BlockList, entry: unknown, name: string): void {
  const bad = () =>
    new TypeError(
      `${name}.proxies: ${JSON.stringify(entry)} is not an address or CIDR range like "10.0.0.5" or "10.0.0.0/8"`,
    );
  if (typeof entry !== 'string') throw bad();
  const [address = '', bits, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) throw bad();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (bits === undefined) {
    list.addAddress(address, type);
    return;
  }
  const prefix = Number(bits);
  if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) throw bad();
  list.addSubnet(address, prefix, type);
}

/**
 * An address as one spelling: an IPv4-mapped IPv6 address (`::ffff:10.0.0.5`,
 * how a dual-stack socket reports IPv4 peers) as IPv4, a port or brackets
 * some proxies add (`10.0.0.5:4711`, `[::1]:4711`) dropped. Undefined when it
 * is no address.
 */
export function canonicalAddress(value: string): string | undefined {
  let address = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1] as string;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1] as string;
  return isIP(address) === 0 ? undefined : address.toLowerCase();
}
