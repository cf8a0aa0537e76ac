import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The address of a connection's peer, read when the connection opens. Node reads it lazily
 * (getpeername), and once the client has reset the connection the read fails and
 * `socket.remoteAddress` is undefined: a client that resets right after writing its request would
 * otherwise have no address, and no address must never mean "no limit".
 */
const peers = new WeakMap<Socket, string>();

/** The bucket of every request whose peer address cannot be known. Not an IP: never exempt. */
export const UNKNOWN_ADDRESS = 'unknown';

/** Remembers the peer of a new connection (a `connection` listener). */
export function capturePeerAddress(socket: Socket): void {
  const address = socket.remoteAddress;
  if (address !== undefined) peers.set(socket, address);
}

/** Captures the peer of every connection `server` accepts, as soon as it is accepted. */
export function capturePeerAddresses(server: Server): void {
  server.prependListener('connection', capturePeerAddress);
}

/** The peer of a request's connection, or UNKNOWN_ADDRESS when it was never readable. */
export function peerAddressOf(socket: Socket | undefined | null): string {
  if (!socket) return UNKNOWN_ADDRESS;
  const known = peers.get(socket);
  if (known !== undefined) return known;
  // A server that did not capture at connection: the first request still reads it early.
  const address = socket.remoteAddress;
  if (address === undefined) return UNKNOWN_ADDRESS;
  peers.set(socket, address);
  return address;
}
