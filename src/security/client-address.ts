import { BlockList, isIP } from 'node:net';

/**
 * Address lists as settings spell them: comma-separated IPs and CIDR ranges, plus the words
 * `loopback` (127.0.0.0/8, ::1) and `private` (10/8, 172.16/12, 192.168/16, fc00::/7), or `none`.
 */
const NAMED: Record<string, Array<[string, number, 'ipv4' | 'ipv6']>> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/** Parses an address list; the entries come back normalized, or the first problem. */
export function parseAddressList(raw: string): string[] | { problem: string } {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  if (entries.length === 1 && entries[0] === 'none') return [];
  for (const entry of entries) {
    if (NAMED[entry]) continue;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      rest.length > 0 ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
    ) {
      return {
        problem: `must be "none" or a comma-separated list of IPs, CIDR ranges, loopback or private (got entry "${entry}")`,
      };
    }
  }
  return entries;
}

/** Strips the IPv4-mapped IPv6 prefix (::ffff:1.2.3.4), as Node reports dual-stack sockets. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed.toLowerCase();
}

export interface AddressMatcher {
  (address: string | undefined): boolean;
  readonly entries: readonly string[];
}

/** A predicate over addresses for a parsed list. `undefined` (no socket) matches `loopback`. */
export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const entry of entries) {
    const named = NAMED[entry];
    if (named) {
      for (const [network, bits, type] of named) list.addSubnet(network, bits, type);
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  const inProcess = entries.includes('loopback');
  const matches = (address: string | undefined) => {
    if (address === undefined) return inProcess;
    const normalized = normalizeAddress(address);
    const family = isIP(normalized);
    if (family === 0) return false;
    return list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
  };
  return Object.assign(matches, { entries });
}

export interface ClientAddressOptions {
  /**
   * Proxies whose `X-Forwarded-For` is believed. Empty: the socket's peer is the client and the
   * header is ignored. Otherwise, when the peer is in the list, the client is the rightmost hop of
   * `X-Forwarded-For` that is not in the list (hops to its left are the client's own claims).
   * @default [] (no proxy)
   */
  trustProxy?: readonly string[];
}

/** The server context Yoga gets from node:http: the request with its socket. */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

/**
 * Resolves the client's address from the socket's peer and the `X-Forwarded-For` header: the
 * peer, or behind trusted proxies the rightmost untrusted hop. `undefined` when there is no peer.
 */
export function createForwardedAddressResolver(options: ClientAddressOptions = {}) {
  const trusted = createAddressMatcher(options.trustProxy ?? []);
  const trusting = trusted.entries.length > 0;
  return (
    peer: string | undefined,
    forwardedFor: string | null | undefined,
  ): string | undefined => {
    if (peer === undefined) return undefined;
    const socketAddress = normalizeAddress(peer);
    if (!trusting || !trusted(socketAddress)) return socketAddress;
    const hops = (forwardedFor ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i -= 1) {
      const hop = normalizeAddress(hops[i]!);
      if (!trusted(hop)) return hop;
    }
    // Every hop is a trusted proxy: the leftmost is as close to the client as we can know.
    return hops.length > 0 ? normalizeAddress(hops[0]!) : socketAddress;
  };
}

/**
 * The same for a Fetch request and Yoga's server context: `undefined` for in-process requests
 * (no socket).
 */
export function createClientAddressResolver(options: ClientAddressOptions = {}) {
  const resolve = createForwardedAddressResolver(options);
  return (request: Request, serverContext: unknown): string | undefined => {
    const peer = (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
    if (peer === undefined) return undefined;
    return resolve(peer, request.headers.get('x-forwarded-for'));
  };
}
