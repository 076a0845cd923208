/**
 * A WebSocket client on a bare socket whose reading the test controls byte by
 * byte: `read(n)` consumes at most n bytes, `readAll()` reads freely. Used to
 * play a client that reads slowly (a `ws` client always reads as fast as it
 * can). Server frames are parsed by hand (they are never masked or
 * fragmented by `ws`); client frames are masked, as RFC 6455 requires.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export class RawWebSocket {
  readonly frames: RawFrame[] = [];
  /** Close code the server sent, once a close frame was read. */
  closeCode: number | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Opens a WebSocket on `options` (a TCP port or a Unix socket path) and `path`, reading nothing after the handshake. */
  static async open(
    options: { port: number; host: string } | { path: string },
    path: string,
  ): Promise<RawWebSocket> {
    const socket = connect(options);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let head = Buffer.alloc(0);
    for (;;) {
      const chunk = await new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve);
        socket.once('error', reject);
      });
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) continue;
      socket.pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.includes(' 101 ')) throw new Error(`upgrade refused: ${status}`);
      const client = new RawWebSocket(socket);
      client.take(head.subarray(end + 4));
      return client;
    }
  }

  /** Sends a text frame. */
  send(value: unknown): void {
    this.writeFrame(0x81, Buffer.from(JSON.stringify(value)));
  }

  private writeFrame(first: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([first, 0x80 | length])
        : Buffer.from([first, 0x80 | 126, length >> 8, length & 0xff]);
    const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
    if (this.socket.writable) this.socket.write(Buffer.concat([header, mask, masked]));
  }

  /** Reads at most `n` bytes that have arrived; returns how many it read. */
  read(n: number): number {
    let total = 0;
    while (total < n) {
      const chunk = this.socket.read(Math.min(n - total, this.socket.readableLength || 1)) as Buffer | null;
      if (!chunk) break;
      total += chunk.length;
      this.take(chunk);
    }
    return total;
  }

  /** Reads everything from now on, as fast as it arrives. */
  readAll(): void {
    this.socket.on('data', (chunk: Buffer) => this.take(chunk));
    this.socket.resume();
  }

  /** The text frames so far, as strings. */
  texts(): string[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString());
  }

  /** Resolves once `predicate` holds on the frames read, or rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.ended && !predicate()) throw new Error('socket ended before the condition held');
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private take(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const b = this.pending;
      if (b.length < 2) break;
      const opcode = (b[0] as number) & 0x0f;
      let length = (b[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) break;
      const payload = Buffer.from(b.subarray(offset, offset + length));
      this.pending = b.subarray(offset + length);
      this.frames.push({ opcode, payload });
      if (opcode === 8 && payload.length >= 2 && this.closeCode === undefined) {
        this.closeCode = payload.readUInt16BE(0);
        this.writeFrame(0x88, payload.subarray(0, 2)); // answer the close, as a client must
      }
    }
    this.wake();
  }
}
