import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionCaps } from './connection-caps.js';
import { refuseUpgrade } from './upgrade-guard.js';

/**
 * Counts every TCP connection of an HTTP server against its address's
 * connection cap from its first byte: a socket that never finishes its request or its
 * upgrade (slowloris) holds a place like an open WebSocket, so one address
 * cannot hold more than its share however slowly it writes. A connection that
 * becomes a WebSocket keeps the place it has.
 *
 * Only when the cap's address is the TCP peer's: a connection from a
 * trusted proxy (`isProxy`) is not counted here, the caps count its upgrades
 * by the address the proxy reports instead (see SECURITY.md).
 */
export class PeerGuard {
  /** `address|port` of each counted connection (a TLS socket shares its TCP socket's). */
  private readonly counted = new Set<string>();

  constructor(
    private readonly caps: ConnectionCaps,
    private readonly onRefused: (status: number) => void,
    private readonly isProxy: (address: string | undefined) => boolean = () => false,
  ) {}

  watch(server: Server): void {
    // On an HTTPS server too, 'connection' gives the TCP socket before any handshake byte.
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** Whether `socket` (a request's socket) already holds a place. */
  holdsPlace(socket: Duplex): boolean {
    return this.counted.has(peerKey(socket as Socket));
  }

  private admit(socket: Socket): void {
    if (this.isProxy(socket.remoteAddress)) return;
    const address = socket.remoteAddress ?? 'unknown';
    const verdict = this.caps.acquireFrom(address);
    if (!verdict.ok) {
      this.onRefused(verdict.status);
      refuseUpgrade(socket, verdict.status, verdict.reason, { 'Retry-After': '5' });
      return;
    }
    const key = peerKey(socket);
    this.counted.add(key);
    socket.once('close', () => {
      this.counted.delete(key);
      this.caps.releaseFrom(address);
    });
  }
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
