/**
 * Redis key layout. Every key of one conversation carries the hash tag
 * `{c_<id>}`, so on Redis Cluster they share one slot and the Lua scripts
 * (which touch several of them) stay legal. Only the lease index is global.
 *
 *   <p>:{c_id}:meta      string   exists while the conversation does (TTL = history TTL)
 *   <p>:{c_id}:order     list     message ids, oldest first
 *   <p>:{c_id}:msgs      hash     message id → JSON (role, text, seq, finishReason, usage, …)
 *   <p>:{c_id}:cmid      hash     clientMsgId → user message id (idempotent sends)
 *   <p>:{c_id}:queue     list     turns waiting for generation (JSON)
 *   <p>:{c_id}:lease     string   id of the node generating this conversation's answers (PX lease)
 *   <p>:{c_id}:popped    string   `<pop id> <turn JSON>`: the turn the last pop took, for that pop sent again (PX lease)
 *   <p>:{c_id}:cancels   hash     user message id → 1: cancelled after leaving the queue, before its answer started
 *                                 (then the id of that answer, ended `cancelled` at its start)
 *   <p>:{c_id}:d:<m_id>  stream   the answer's deltas: entry `<seq>-0` {t, k?, p?}; its end `<seq>-1` {r, u}
 *   <p>:{c_id}:ev        channel  start / user / cancel events between nodes
 *   <p>:{c_id}:dv        channel  each delta as it is appended (while a node follows the answer), and answer ends
 *   <p>:{c_id}:fw        channel  "I follow this answer": from a following node to the one generating it
 *   <p>:leases           zset     conversation id → lease deadline (ms), swept for dead nodes
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  private tag(conversationId: string): string {
    return `${this.prefix}:{${conversationId}}`;
  }
  meta(c: string): string {
    return `${this.tag(c)}:meta`;
  }
  order(c: string): string {
    return `${this.tag(c)}:order`;
  }
  messages(c: string): string {
    return `${this.tag(c)}:msgs`;
  }
  clientIds(c: string): string {
    return `${this.tag(c)}:cmid`;
  }
  queue(c: string): string {
    return `${this.tag(c)}:queue`;
  }
  lease(c: string): string {
    return `${this.tag(c)}:lease`;
  }
  popped(c: string): string {
    return `${this.tag(c)}:popped`;
  }
  cancels(c: string): string {
    return `${this.tag(c)}:cancels`;
  }
  deltas(c: string, messageId: string): string {
    return `${this.tag(c)}:d:${messageId}`;
  }
  events(c: string): string {
    return `${this.tag(c)}:ev`;
  }
  deltaEvents(c: string): string {
    return `${this.tag(c)}:dv`;
  }
  followNotices(c: string): string {
    return `${this.tag(c)}:fw`;
  }
  leases(): string {
    return `${this.prefix}:leases`;
  }
  /** The conversation id of an events channel name. */
  conversationOfChannel(channel: string): string | undefined {
    const match = /:\{([^}]+)\}:ev$/.exec(channel);
    return match?.[1];
  }
}
