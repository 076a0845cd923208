import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SessionClaims } from '../auth/session-token.js';
import { requestPath } from '../http/request-url.js';
import type { ChatMetrics } from '../ops/metrics.js';
import type { ResolvedChatServerOptions } from '../options/chat-server-options.js';
import { ConnectionCaps } from './connection-caps.js';
import { PeerGuard } from './peer-guard.js';
import { admitUpgrade, refuseUpgrade } from './upgrade-guard.js';

/**
 * Decides every upgrade request before a WebSocket exists: its path, whether
 * the server is draining, its origin, session token and the connection caps.
 * With the default client address the caps count each TCP connection from its
 * first byte (`watch`).
 */
export class UpgradeGate {
  /** Set by a drain: upgrades get 503 from then on. */
  draining = false;
  private readonly caps: ConnectionCaps;
  private readonly peers: PeerGuard | undefined;

  constructor(
    private readonly config: ResolvedChatServerOptions,
    private readonly metrics: ChatMetrics,
  ) {
    const { serverLimits } = config;
    this.caps = new ConnectionCaps(serverLimits.maxConnections, serverLimits.maxConnectionsPerIp);
    this.peers = config.peerAddresses
      ? new PeerGuard(
          this.caps,
          (status) => {
            metrics.upgradesRefused.inc({ status: String(status) });
            config.logger.info({ event: 'connection_refused', status }, 'connection refused');
          },
          serverLimits.isProxy,
        )
      : undefined;
  }

  /** Counts `server`'s connections from their first byte (with the default client address). */
  watch(server: Server): void {
    this.peers?.watch(server);
  }

  /**
   * `not-ours` for another path; `refused` once it answered the socket itself;
   * else the request may become a WebSocket, with its token's claims.
   */
  admit(
    request: IncomingMessage,
    socket: Duplex,
  ): 'not-ours' | 'refused' | { claims: SessionClaims | undefined } {
    if (requestPath(request) !== this.config.path) return 'not-ours';
    if (this.draining) {
      this.refused(503, request);
      refuseUpgrade(socket, 503, 'server shutting down', { 'Retry-After': '1' });
      return 'refused';
    }
    const peers = this.peers;
    const admitted = admitUpgrade(request, socket, {
      secret: this.config.auth?.secret,
      allowedOrigins: this.config.allowedOrigins,
      caps: this.caps,
      holdsPlace: peers && ((s) => peers.holdsPlace(s)),
      clientIp: this.config.serverLimits.clientIp,
      onRefused: (status) => this.refused(status, request),
    });
    return admitted ?? 'refused';
  }

  private refused(status: number, request: IncomingMessage): void {
    this.metrics.upgradesRefused.inc({ status: String(status) });
    this.config.logger.info(
      { event: 'upgrade_refused', status, ip: this.config.serverLimits.clientIp(request) },
      'upgrade refused',
    );
  }
}
