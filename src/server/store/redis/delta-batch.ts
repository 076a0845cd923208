import { commandConnections, corked, publishOn, type RedisClient } from './redis-connection.js';

/** One delta's writes: its stream entry, and what followers hear of it (when any follow). */
export interface DeltaWrite {
  /** The answer's stream key (it exists: the answer's start created it). */
  key: string;
  /** Stream id `<seq>-0`: fixed by the delta, so a resent write is refused, never doubled. */
  id: string;
  fields: string[];
  /** What followers hear of it: sent only while another node follows the answer. */
  publish?: { channel: string; event: string };
}

interface Pending {
  write: DeltaWrite;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** When its XADD was issued (`performance.now()`). */
  sentAt: number;
}

/** Redis's refusal of an XADD whose explicit id is not past the stream's last entry. */
const ALREADY_APPENDED = /equal or smaller than the target stream top item/;

/** How soon a batch held while the connection is down is tried again. */
const HELD_RETRY_MS = 10;

/**
 * The delta write path: the deltas appended on this node within one turn of
 * the event loop (of one answer or of many) leave in one socket write per
 * Redis server (one on a single Redis; one per master on a cluster), and
 * Redis answers them with one write, instead of a write and a read each.
 *
 * The commands stay plain XADD and PUBLISH (SPUBLISH on a cluster), not an
 * ioredis pipeline or a transaction: ioredis resends every command whose
 * reply a cut lost, in order, on the next connection, but aborts the rest of
 * a pipeline whose replies were partly read, which would leave a delta
 * unknown and let the next one through ahead of it. So the batch only holds
 * the socket's writes back (cork) while it issues them, and a delta keeps
 * these guarantees: its XADD precedes its PUBLISH (followers never hear of a
 * delta before it is appended), deltas keep their order on the one command
 * connection, a resent XADD that had been applied is refused for its id
 * (counted as stored), and anything that must follow the deltas written so
 * far (an answer's end) calls `flush(true)` first.
 *
 * While the connection is not ready, deltas wait here rather than in
 * ioredis's offline queue: when a connection dies while ioredis resends the
 * commands a cut left unanswered, it queues the rest of them behind whatever
 * waits in the offline queue, so a delta queued there during the outage
 * would reach Redis ahead of an older one, which Redis then refuses (a gap).
 *
 * A stalled Redis (connected, silent) fails a delta after `timeoutMs`, as
 * ioredis's `commandTimeout` fails any other command; but instead of a timer
 * per command (two per delta, each set and cleared: a third of a Redis-store
 * node's CPU per token went to ioredis), one watchdog timer covers every
 * delta waiting for its reply.
 */
export class DeltaBatch {
  private pending: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private held: NodeJS.Timeout | undefined;
  /** Deltas issued and not yet answered, oldest first (Set order). */
  private readonly inFlight = new Set<Pending>();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly timeoutMs: number,
  ) {}

  /** Queues a delta's writes for this turn's batch; resolves once Redis stored it. */
  append(write: DeltaWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ write, resolve, reject, sentAt: 0 });
      // After the timers and I/O of this turn: the deltas every stream produced in it go together.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /**
   * Issues what is queued, in order, ahead of any command issued after this
   * call; while the connection is not ready it waits, unless `now` (what
   * follows must follow these deltas, ready or not).
   */
  flush(now = false): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    if (this.redis.status !== 'ready' && !now) {
      this.held ??= setTimeout(() => {
        this.held = undefined;
        this.flush();
      }, HELD_RETRY_MS);
      return;
    }
    if (this.held) clearTimeout(this.held);
    this.held = undefined;
    const batch = this.pending;
    this.pending = [];
    const nodes = commandConnections(this.redis);
    const sentAt = performance.now();
    corked(nodes, () => {
      // ioredis starts a timer for each command issued while `commandTimeout` is set; the watchdog
      // stands in for them. It reads the option as each command is issued (synchronously, here).
      const timeouts = nodes.map((node) => node.options.commandTimeout);
      for (const node of nodes) node.options.commandTimeout = undefined;
      try {
        for (const pending of batch) {
          const { write } = pending;
          pending.sentAt = sentAt;
          this.inFlight.add(pending);
          this.redis.xadd(write.key, write.id, ...write.fields).then(
            () => this.settle(pending),
            (error: unknown) => {
              if (ALREADY_APPENDED.test(error instanceof Error ? error.message : String(error)))
                this.settle(pending);
              else this.settle(pending, error);
            },
          );
          // Lost or repeated, it only costs a follower a stream read.
          if (write.publish)
            publishOn(this.redis, write.publish.channel, write.publish.event).catch(() => {});
        }
      } finally {
        nodes.forEach((node, i) => {
          node.options.commandTimeout = timeouts[i];
        });
      }
    });
    this.watch(this.timeoutMs);
  }

  private watch(delayMs: number): void {
    // Unref'd: while deltas wait, the Redis connection keeps the process up anyway.
    this.watchdog ??= setTimeout(() => this.expire(), delayMs).unref();
  }

  private settle(pending: Pending, error?: unknown): void {
    if (!this.inFlight.delete(pending)) return; // already failed by the watchdog
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  /** Fails every delta unanswered for `timeoutMs`; watches the rest until they are answered. */
  private expire(): void {
    this.watchdog = undefined;
    const now = performance.now();
    for (const pending of this.inFlight) {
      const waited = now - pending.sentAt;
      if (waited < this.timeoutMs) {
        this.watch(this.timeoutMs - waited);
        return;
      }
      this.settle(pending, new Error('Command timed out'));
    }
  }
}
