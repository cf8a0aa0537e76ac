import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';
import proxyaddr from 'proxy-addr';
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

/**
 * One spelling per address, so that a client cannot get a fresh rate-limit bucket by writing its
 * address differently: a port (`1.2.3.4:80`, `[::1]:80`) and an IPv6 zone (`%eth0`) dropped,
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`) as IPv4, IPv6 lower-case and compressed
 * (RFC 5952, as the WHATWG URL serializer writes it). `undefined` when it is not an IP address.
 */
export function canonicalAddress(raw: string): string | undefined {
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(value))
    value = value.slice(0, value.indexOf(':'));
  value = value.replace(/%[\w.-]+$/, '');
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return undefined;
  const v6 = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** The canonical address, or the input trimmed and lower-cased when it is not an IP address. */
export function normalizeAddress(address: string): string {
  return canonicalAddress(address) ?? address.trim().toLowerCase();
}

/**
 * The rate-limit bucket of an address: the address itself for IPv4, its /64 network for IPv6 (one
 * subscriber's allocation; a client cycling addresses inside it is still one client).
 */
export function rateLimitKey(address: string): string {
  const canonical = canonicalAddress(address);
  if (canonical === undefined || isIP(canonical) !== 6) return canonical ?? address;
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
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

// proxy-addr's name for the private ranges (the same four) is `uniquelocal`.
const PROXY_ADDR_NAMES: Record<string, string> = { private: 'uniquelocal' };

/**
 * Resolves the client's address from the socket's peer and the `X-Forwarded-For` header: the
 * peer, or behind trusted proxies the rightmost untrusted hop (proxy-addr's semantics, the ones
 * Express uses). Every hop is canonicalized first (see canonicalAddress). A hop that is not an
 * address at all (`unknown`, a host name, junk) cannot name a client: the trusted proxy that
 * passed it on is taken instead, so junk shares that proxy's bucket rather than getting its own.
 * `undefined` when there is no peer.
 */
export function createForwardedAddressResolver(options: ClientAddressOptions = {}) {
  const entries = options.trustProxy ?? [];
  const trusting = entries.length > 0;
  const trust = trusting
    ? proxyaddr.compile(entries.map((entry) => PROXY_ADDR_NAMES[entry] ?? entry))
    : undefined;
  // The last peer's canonical form: requests come in runs from the same few peers (a proxy, a
  // load balancer, a keep-alive client), and canonicalizing is the most of this function.
  let lastPeer: string | undefined;
  let lastSocketAddress = '';
  return (
    peer: string | undefined,
    forwardedFor: string | null | undefined,
  ): string | undefined => {
    if (peer === undefined) return undefined;
    if (peer !== lastPeer) {
      lastSocketAddress = normalizeAddress(peer);
      lastPeer = peer;
    }
    const socketAddress = lastSocketAddress;
    if (!trust || !forwardedFor) return socketAddress;
    // Not an address: a value proxy-addr never trusts, so the walk stops at it.
    const hops = forwardedFor
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean)
      .map((hop) => canonicalAddress(hop) ?? NOT_AN_ADDRESS);
    const chain = proxyaddr.all(
      {
        headers: { 'x-forwarded-for': hops.join(', ') },
        socket: { remoteAddress: socketAddress },
      } as unknown as IncomingMessage,
      trust,
    );
    // chain: the peer, then the hops right to left, up to and including the first untrusted one.
    const client = chain[chain.length - 1]!;
    return client === NOT_AN_ADDRESS ? chain[chain.length - 2]! : client;
  };
}

const NOT_AN_ADDRESS = 'not-an-address';

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
