import { Conversation, type ConversationOptions } from './conversation.js';
import type { ConversationStore, StoreHealth } from './conversation-store.js';

/**
 * The in-memory conversations of one server process. A conversation nobody
 * follows, with nothing generating, expires `ttlMs` after its last activity.
 */
export class ConversationRegistry implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: ConversationOptions,
    private readonly ttlMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(ttlMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * The conversation `id` names, or a new one when it is absent or unknown.
   * `createWithId` gives the new one that id (a session token names its
   * conversation before it exists).
   */
  open(id: string | undefined, { createWithId = false } = {}): Conversation {
    const existing = id === undefined ? undefined : this.conversations.get(id);
    if (existing) return existing;
    const created = new Conversation(this.options, createWithId ? id : undefined);
    this.conversations.set(created.id, created);
    return created;
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
