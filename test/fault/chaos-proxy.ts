/**
 * A TCP proxy for fault tests: it forwards bytes between a client and the
 * server in small random pieces with random delays, and cuts a connection
 * abruptly after a chosen number of bytes. Seeded, so a failing run can be
 * replayed. Listens on 127.0.0.1 only.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { seededRandom } from '../../src/dev-server/sources/random.js';

export interface ConnectionPlan {
  /** Cut both sides after this many bytes in either direction; undefined: never. */
  cutAfterBytes?: number;
  /** Largest piece written at once. */
  maxPiece: number;
  /** Longest pause before a piece. */
  maxDelayMs: number;
  /** Share of pieces that are delayed. */
  delayChance: number;
  /**
   * After this many bytes, forward nothing more and never close: a silent
   * drop, which only heartbeats can detect.
   */
  stallAfterBytes?: number;
  /** Send this connection to another port of the target host (a load balancer over several nodes). */
  targetPort?: number;
}

export class ChaosProxy {
  connections = 0;
  cuts = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;

  constructor(
    private readonly target: { host: string; port: number },
    seed: number,
    private readonly plan: (connectionIndex: number, random: () => number) => ConnectionPlan,
  ) {
    this.random = seededRandom(seed);
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    return address.port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const plan = this.plan(this.connections++, this.random);
    const upstream = connect(plan.targetPort ?? this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let forwarded = 0;
    let cut = false;
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    const pipe = (from: Socket, to: Socket) => {
      // One serial queue per direction keeps the byte order while pieces are delayed.
      let chain = Promise.resolve();
      from.on('data', (data: Buffer) => {
        chain = chain.then(async () => {
          let at = 0;
          while (at < data.length && !cut) {
            if (plan.stallAfterBytes !== undefined && forwarded >= plan.stallAfterBytes) return;
            let size = 1 + Math.floor(this.random() * plan.maxPiece);
            if (plan.cutAfterBytes !== undefined) size = Math.min(size, plan.cutAfterBytes - forwarded);
            if (plan.stallAfterBytes !== undefined) size = Math.min(size, plan.stallAfterBytes - forwarded);
            const piece = data.subarray(at, at + size);
            if (plan.maxDelayMs > 0 && this.random() < plan.delayChance) {
              await new Promise((r) => setTimeout(r, this.random() * plan.maxDelayMs));
            }
            if (to.destroyed) return;
            to.write(piece);
            at += piece.length;
            forwarded += piece.length;
            if (plan.cutAfterBytes !== undefined && forwarded >= plan.cutAfterBytes) {
              cut = true;
              this.cuts++;
              destroyBoth();
            }
          }
        });
      });
      from.on('close', () => {
        if (plan.stallAfterBytes !== undefined && forwarded >= plan.stallAfterBytes) return;
        void chain.then(() => to.end());
      });
      from.on('error', destroyBoth);
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }
}
