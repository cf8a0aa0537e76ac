import { BlockList, isIP, type Socket } from 'node:net';
import { peerAddressOf, UNKNOWN_ADDRESS } from './peer-address.js';

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

/** What the address of a request needs of node:http's request: its socket and its headers. */
export interface NodeRequestLike {
  socket?: Socket | null;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The client address of a node:http request, once per request: the peer captured when the
 * connection opened (see peer-address.ts), or behind trusted proxies the X-Forwarded-For hop.
 * A peer that cannot be known is UNKNOWN_ADDRESS, a bucket of its own: never exempt, never
 * loopback, never unlimited.
 */
export function createNodeAddressResolver(options: ClientAddressOptions = {}) {
  const resolve = createForwardedAddressResolver(options);
  const resolved = new WeakMap<object, string>();
  return (req: NodeRequestLike): string => {
    let address = resolved.get(req);
    if (address === undefined) {
      const peer = peerAddressOf(req.socket);
      const forwardedFor = req.headers['x-forwarded-for'];
      address =
        peer === UNKNOWN_ADDRESS
          ? UNKNOWN_ADDRESS
          : (resolve(peer, Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor) ??
            UNKNOWN_ADDRESS);
      resolved.set(req, address);
    }
    return address;
  };
}
