/**
 * A TCP proxy between a server node and Redis that cuts the connection in the
 * middle of a batch of delta writes: a single write from the node carrying
 * two XADDs or more (one pipeline). Armed with `cutRequest`, it passes the
 * batch's first command and part of the next, then closes both sides, so
 * Redis applies part of the batch and never answers it. Armed with
 * `cutReply`, it passes the whole batch and then only half of Redis's next
 * reply bytes before closing, so the node loses replies to writes Redis
 * applied. Armed with `loseReplyTo`, it passes the first command that matches
 * and then nothing more either way, so Redis runs it and the node never hears
 * back (nor of anything it sent earlier and is still waiting for). Each arming
 * cuts once. Listens on 127.0.0.1 only.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { RespRequests } from './resp-requests.js';

/** A RESP command named XADD (ioredis writes the name as a bulk string). */
const XADD = /\$4\r\nxadd\r\n/gi;

export class RedisCutProxy {
  requestCuts = 0;
  replyCuts = 0;
  lostReplies = 0;
  private armed: 'request' | 'reply' | undefined;
  private losing: ((command: string[]) => boolean) | undefined;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly redisPort: number) {
    this.server = createServer((node) => this.accept(node));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    return address.port;
  }

  /** Cuts the next batch of delta writes partway through. */
  cutRequest(): void {
    this.armed = 'request';
  }

  /** Lets the next batch through and cuts Redis's replies to it partway through. */
  cutReply(): void {
    this.armed = 'reply';
  }

  /** Passes the next command `matches` accepts (its name lower case, then its arguments) and cuts before Redis's reply. */
  loseReplyTo(matches: (command: string[]) => boolean): void {
    this.losing = matches;
  }

  get waiting(): boolean {
    return this.armed !== undefined || this.losing !== undefined;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(node: Socket): void {
    const redis = connect(this.redisPort, '127.0.0.1');
    this.sockets.add(node);
    this.sockets.add(redis);
    let cutNextReply = false;
    const requests = new RespRequests();
    /** Cut: nothing more passes either way. */
    let severed = false;
    const cut = () => {
      node.destroy();
      redis.destroy();
      this.sockets.delete(node);
      this.sockets.delete(redis);
    };
    // Closed a moment after what was let through, so Redis reads (or the node gets) all of it first.
    const sever = () => {
      severed = true;
      setTimeout(cut, 50);
    };
    node.on('data', (data: Buffer) => {
      if (severed) return;
      const losing = this.losing;
      const matched = requests.push(data).find((command) => losing?.(command.args));
      if (losing && matched) {
        this.losing = undefined;
        this.lostReplies++;
        redis.write(data.subarray(0, matched.end));
        sever();
        return;
      }
      const starts = [...data.toString('latin1').matchAll(XADD)].map((m) => m.index);
      const second = starts[1];
      if (this.armed === 'request' && second !== undefined) {
        this.armed = undefined;
        this.requestCuts++;
        // The first XADD whole, and the second one's name: Redis runs what came before it, then loses the link.
        redis.write(data.subarray(0, second + 8));
        sever();
        return;
      }
      if (this.armed === 'reply' && second !== undefined) {
        this.armed = undefined;
        cutNextReply = true;
      }
      redis.write(data);
    });
    redis.on('data', (data: Buffer) => {
      if (severed) return;
      if (!cutNextReply) {
        node.write(data);
        return;
      }
      cutNextReply = false;
      this.replyCuts++;
      node.write(data.subarray(0, Math.floor(data.length / 2)));
      sever();
    });
    node.on('close', cut);
    redis.on('close', cut);
    node.on('error', cut);
    redis.on('error', cut);
  }
}
