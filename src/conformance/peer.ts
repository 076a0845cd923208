import { once } from 'node:events';
import WebSocket from 'ws';
import {
  type ClientFrame,
  CompactDeltaReader,
  isWholeCharacters,
  parseServerFrameWithSchema,
  type ServerFrame,
} from '../protocol/index.js';

/** The text a frame carries that PROTOCOL.md section 3 requires to be whole characters. */
function textsOf(frame: ServerFrame): string[] {
  if (frame.type === 'user') return [frame.text];
  if (frame.type !== 'delta' && frame.type !== 'snapshot') return [];
  return frame.reasoning === undefined ? [frame.text] : [frame.text, frame.reasoning];
}

/** A protocol peer for tests and the conformance checker: records every frame and validates each against the protocol. */
export class Peer {
  readonly frames: ServerFrame[] = [];
  /** Frames the server sent that break the protocol; any one fails every later wait. */
  readonly violations: string[] = [];
  readonly socket: WebSocket;
  /** Reads full frames, and compact deltas when the peer asked for them (`hello.compact`). */
  // The schemas themselves judge a server under test, not the widget's hand check.
  private readonly reader = new CompactDeltaReader(parseServerFrameWithSchema);
  /** How many frames arrived as compact deltas (recorded in `frames` as full deltas). */
  compactFrames = 0;
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.socket.on('message', (data) => {
      const raw = data.toString();
      if (raw.startsWith('"') || raw.startsWith('{"d":') || raw.startsWith('{"r":')) this.compactFrames++;
      const parsed = this.reader.read(raw);
      if (!parsed.ok) {
        this.violations.push(`invalid frame (${parsed.message}): ${data.toString().slice(0, 200)}`);
      } else {
        this.frames.push(parsed.frame);
        if (!textsOf(parsed.frame).every(isWholeCharacters)) {
          this.violations.push(
            `a ${parsed.frame.type} whose text splits a character (PROTOCOL.md section 3)`,
          );
        }
      }
      this.notify();
    });
    // Errors are followed by 'close'; without a listener they would be thrown.
    this.socket.on('error', () => {});
    this.socket.on('close', (code) => {
      this.closeCode = code;
      this.notify();
    });
  }

  static async connect(url: string): Promise<Peer> {
    const client = new Peer(url);
    await once(client.socket, 'open');
    return client;
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** Resolves with the first recorded frame (from `from` on) that matches; rejects after `timeoutMs`. */
  async waitFor<T extends ServerFrame>(
    predicate: (frame: ServerFrame) => frame is T,
    { from = 0, timeoutMs = 10_000 } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.violations.length > 0) throw new Error(`server broke the protocol: ${this.violations[0]}`);
      const found = this.frames.slice(from).find(predicate);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForClose(timeoutMs = 10_000): Promise<number> {
    if (this.closeCode !== undefined) return this.closeCode;
    const timer = setTimeout(() => this.socket.terminate(), timeoutMs);
    const [code] = (await once(this.socket, 'close')) as [number];
    clearTimeout(timer);
    return code;
  }

  close(): void {
    this.socket.terminate();
  }
}

export const isType =
  <K extends ServerFrame['type']>(
    type: K,
    extra: (f: Extract<ServerFrame, { type: K }>) => boolean = () => true,
  ) =>
  (frame: ServerFrame): frame is Extract<ServerFrame, { type: K }> =>
    frame.type === type && extra(frame as Extract<ServerFrame, { type: K }>);
