import { Conversation, type ConversationOptions } from '../conversation/conversation.js';
import {
  ConversationRefused,
  type ConversationStore,
  type OpenOptions,
  type StoreHealth,
} from './conversation-store.js';

/**
 * The in-memory conversations of one server process. A conversation nobody
 * follows, with nothing generating, expires `ttlMs` after its last activity.
 * At most `maxConversations` are held: a new one evicts the least recently
 * active conversation nobody follows, or is refused when every one is in use.
 */
export class ConversationRegistry implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: ConversationOptions,
    private readonly ttlMs: number,
    private readonly maxConversations = Number.POSITIVE_INFINITY,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(ttlMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * The conversation `id` names, or a new one when it is absent or unknown.
   * Throws ConversationRefused when a new one may not be created.
   */
  open(id: string | undefined, { createWithId = false, admitNew }: OpenOptions = {}): Conversation {
    const existing = id === undefined ? undefined : this.conversations.get(id);
    if (existing) return existing;
    const retryAfterMs = admitNew?.() ?? 0;
    if (retryAfterMs > 0) throw new ConversationRefused('rate', retryAfterMs);
    if (this.conversations.size >= this.maxConversations && !this.evictOne()) {
      throw new ConversationRefused('full', 5000);
    }
    const created = new Conversation(this.options, createWithId ? id : undefined);
    this.conversations.set(created.id, created);
    return created;
  }

  /** Drops the least recently active conversation nobody follows and nothing generates in. */
  private evictOne(): boolean {
    let oldest: Conversation | undefined;
    for (const c of this.conversations.values()) {
      if (c.subscriberCount === 0 && c.idle && (!oldest || c.lastActivity < oldest.lastActivity)) oldest = c;
    }
    if (!oldest) return false;
    oldest.dispose();
    this.conversations.delete(oldest.id);
    return true;
  }

  health(): StoreHealth {
    return { kind: 'memory', ok: true };
  }

  get size(): number {
    return this.conversations.size;
  }

  sweep(now = Date.now()): void {
    for (const [id, c] of this.conversations) {
      if (c.subscriberCount === 0 && c.idle && now - c.lastActivity > this.ttlMs) {
        c.dispose();
        this.conversations.delete(id);
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const c of this.conversations.values()) c.dispose();
    this.conversations.clear();
  }
}
