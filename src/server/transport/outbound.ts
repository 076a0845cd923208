import type { WebSocket } from 'ws';
import { CloseCode, CompactDeltaWriter, type DeltaFrame, type ServerFrame } from '../../protocol/index.js';
import { closePromptly } from './close-promptly.js';

/** How one connection copes with a client that reads slower than answers are produced. */
export interface BackpressureOptions {
  /**
   * Bytes in the socket's send buffer (`bufferedAmount`) above which the
   * server stops writing and coalesces deltas instead. Default 65536.
   */
  highWaterBytes: number;
  /** A client whose buffer stays over the mark this long is closed with 4008 (it resumes later). Default 30000. */
  slowConsumerMs: number;
  /** Bytes the server holds back for one connection at most; more closes it with 4008. Default 1048576. */
  maxPendingBytes: number;
}

export const defaultBackpressure: BackpressureOptions = {
  highWaterBytes: 64 * 1024,
  slowConsumerMs: 30_000,
  maxPendingBytes: 1024 * 1024,
};

/**
 * Consecutive deltas of one message, held back: sent as one delta covering
 * `fromSeq`..`seq`, its answer text and its reasoning each joined.
 */
interface HeldDeltas {
  messageId: string;
  fromSeq: number;
  seq: number;
  parts: string[];
  reasoning: string[];
}

/** Shared by every connection of a server; `id` names the connection. */
export interface OutboundEvents {
  /** A coalesced delta went out, merging `merged` deltas away. */
  coalesced?(id: number, merged: number): void;
  /** The connection is being closed with 4008. */
  slowConsumer?(id: number): void;
}

/** How often a backlogged socket's buffer is checked. Only backlogged sockets have this timer. */
const DRAIN_CHECK_MS = 20;

/**
 * A held snapshot, or a delta that cannot merge (a tool step, a source),
 * keeps its frame: it is encoded when written, in order (it moves the
 * compact reference).
 */
type Held = { kind: 'deltas'; deltas: HeldDeltas } | { kind: 'frame'; json: string; reference?: ServerFrame };

/**
 * The send path of one connection. While the socket's send buffer is under
 * the high-water mark, frames are written as they come. Above it, nothing is
 * written: frames wait in order, and consecutive deltas of one message merge
 * into one pending delta (`fromSeq`..`seq`, their texts joined). When the
 * buffer falls to half the mark, everything waiting is written, so a slow
 * reader gets fewer, larger frames instead of a growing queue of small ones.
 *
 * What a connection holds is bounded: the send buffer (about the mark plus
 * one flush) and what waits (at most `maxPendingBytes`). A client whose buffer
 * stays over the mark for `slowConsumerMs`, or that makes more than
 * `maxPendingBytes` wait, is closed with 4008; it reconnects and resumes
 * exactly from the seq it holds.
 */
export class Outbound {
  // Allocated only while backlogged, so an idle connection costs no more than the fields.
  private held: Held[] | undefined;
  /** The held delta run each message's next delta may extend. */
  private openRuns: Map<string, HeldDeltas> | undefined;
  private heldBytes = 0;
  private backlogSince = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Frames of a replay still to write, ahead of everything held. */
  private sequence: Iterator<ServerFrame> | undefined;
  /** Every frame is encoded by it as it is written: full frames, or compact deltas once asked for. */
  private writer = new CompactDeltaWriter(false);

  constructor(
    private readonly socket: WebSocket,
    private readonly options: BackpressureOptions,
    private readonly events: OutboundEvents = {},
    private readonly id = 0,
  ) {
    socket.once('close', () => this.release());
  }

  /** Bytes this connection holds: the socket's send buffer plus what waits to be written. */
  get bytes(): number {
    return this.socket.bufferedAmount + this.heldBytes;
  }

  /** From now on, deltas that continue the last one written go out compact (PROTOCOL.md section 14). */
  useCompactDeltas(): void {
    this.writer = new CompactDeltaWriter(true);
  }

  /** Whether frames wait for the socket's buffer to drain (the reader is behind). */
  get backlogged(): boolean {
    return this.drainTimer !== undefined;
  }

  send(frame: ServerFrame): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.drainTimer === undefined && this.sequence === undefined) {
      this.socket.send(this.writer.encode(frame));
      if (this.socket.bufferedAmount > this.options.highWaterBytes) this.enterBacklog();
      return;
    }
    this.hold(frame);
    if (this.heldBytes > this.options.maxPendingBytes) this.closeSlow();
  }

  /**
   * Writes `frames` (a resume's replay) ahead of every frame sent after this
   * call, building each one only when the socket's buffer has room: a replay
   * of thousands of deltas never sits in memory as frames, and other
   * connections keep being served while it drains. Frames sent meanwhile wait
   * (and coalesce) behind it, as in a backlog.
   */
  sendSequence(frames: Iterable<ServerFrame>): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const iterator = frames[Symbol.iterator]();
    if (this.sequence !== undefined) {
      // Rare (one resume per connection): chain behind the one still draining.
      const first = this.sequence;
      this.sequence = chain(first, iterator);
      return;
    }
    this.sequence = iterator;
    if (this.drainTimer === undefined && this.writeSequence()) return;
    if (this.drainTimer === undefined) this.enterBacklog();
  }

  /** Writes from the sequence while the buffer has room; true once it is all written. */
  private writeSequence(): boolean {
    const sequence = this.sequence;
    if (sequence === undefined) return true;
    while (this.socket.bufferedAmount <= this.options.highWaterBytes) {
      const next = sequence.next();
      if (next.done) {
        this.sequence = undefined;
        return true;
      }
      this.socket.send(this.writer.encode(next.value));
    }
    return false;
  }

  private hold(frame: ServerFrame): void {
    if (!this.held || !this.openRuns) {
      this.held = [];
      this.openRuns = new Map();
    }
    const { held, openRuns } = this;
    if (frame.type === 'delta' && frame.tool === undefined && frame.source === undefined) {
      const run = openRuns.get(frame.messageId);
      this.heldBytes +=
        Buffer.byteLength(frame.text) + (frame.reasoning ? Buffer.byteLength(frame.reasoning) : 0);
      if (run && run.seq + 1 === (frame.fromSeq ?? frame.seq)) {
        run.parts.push(frame.text);
        if (frame.reasoning) run.reasoning.push(frame.reasoning);
        run.seq = frame.seq;
        return;
      }
      const deltas: HeldDeltas = {
        messageId: frame.messageId,
        fromSeq: frame.fromSeq ?? frame.seq,
        seq: frame.seq,
        parts: [frame.text],
        reasoning: frame.reasoning ? [frame.reasoning] : [],
      };
      openRuns.set(frame.messageId, deltas);
      held.push({ kind: 'deltas', deltas });
      this.heldBytes += 64; // the frame's own fields
      return;
    }
    // Any other frame about a message ends its run: later text must follow it.
    const about = (frame as { messageId?: string }).messageId; // start, snapshot, done, error carry one
    if (about !== undefined) openRuns.delete(about);
    const json = JSON.stringify(frame);
    held.push(
      frame.type === 'snapshot' || frame.type === 'delta'
        ? { kind: 'frame', json, reference: frame }
        : { kind: 'frame', json },
    );
    this.heldBytes += json.length;
  }

  private enterBacklog(): void {
    this.backlogSince = Date.now();
    // ws reports no per-socket drain, so a backlogged socket checks its buffer on a timer.
    this.drainTimer = setInterval(() => this.check(), DRAIN_CHECK_MS);
    this.drainTimer.unref();
  }

  /** Closes a client too slow for too long; else, once the buffer is low enough, writes what waits. */
  private check(): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      this.release();
      return;
    }
    if (this.socket.bufferedAmount > this.options.highWaterBytes / 2 || !this.writeSequence()) {
      if (Date.now() - this.backlogSince >= this.options.slowConsumerMs) this.closeSlow();
      return;
    }
    const held = this.held ?? [];
    this.held = undefined;
    this.openRuns = undefined;
    this.heldBytes = 0;
    for (const entry of held) {
      if (entry.kind === 'frame') {
        this.socket.send(entry.reference ? this.writer.encode(entry.reference) : entry.json);
        continue;
      }
      const { messageId, fromSeq, seq, parts, reasoning } = entry.deltas;
      const text = parts.length === 1 ? (parts[0] as string) : parts.join('');
      const merged: DeltaFrame =
        fromSeq === seq
          ? { type: 'delta', messageId, seq, text }
          : { type: 'delta', messageId, fromSeq, seq, text };
      if (reasoning.length > 0) merged.reasoning = reasoning.join('');
      this.socket.send(this.writer.encode(merged));
      if (seq > fromSeq) this.events.coalesced?.(this.id, seq - fromSeq);
    }
    if (this.socket.bufferedAmount > this.options.highWaterBytes) {
      // Still behind: the slow-consumer clock runs on.
      if (Date.now() - this.backlogSince >= this.options.slowConsumerMs) this.closeSlow();
      return;
    }
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }

  private closeSlow(): void {
    this.release();
    this.events.slowConsumer?.(this.id);
    closePromptly(this.socket, CloseCode.SlowConsumer, 'slow consumer');
  }

  private release(): void {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.sequence = undefined;
    this.held = undefined;
    this.openRuns = undefined;
    this.heldBytes = 0;
  }
}

function* chain<T>(first: Iterator<T>, second: Iterator<T>): Generator<T> {
  for (let next = first.next(); !next.done; next = first.next()) yield next.value;
  for (let next = second.next(); !next.done; next = second.next()) yield next.value;
}
