import { newId } from '../../conversation/ids.js';
import {
  type ChatConversation,
  ConversationRefused,
  type ConversationStore,
  type OpenOptions,
  type StoreHealth,
} from '../conversation-store.js';
import { RedisConversation, type RedisConversationOptions } from './redis-conversation.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

/**
 * Conversations kept in Redis and shared by every server node using it.
 * Each node keeps a mirror of the conversations its connections follow
 * (dropped a while after the last one leaves), and sweeps the lease index
 * every second: an answer whose node stopped renewing its lease (killed,
 * frozen, cut off) is ended as `interrupted`, and turns still queued behind
 * it are generated here.
 */
export class RedisConversationStore implements ConversationStore {
  readonly store: RedisStore;
  private readonly conversations = new Map<string, RedisConversation>();
  private readonly opening = new Map<string, Promise<RedisConversation>>();
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    redis: RedisStoreOptions,
    private readonly options: RedisConversationOptions,
    private readonly idleMs = 30_000,
  ) {
    this.store = new RedisStore(redis);
    this.sweeper = setInterval(() => void this.sweep(), 1000);
    this.sweeper.unref();
  }

  health(): StoreHealth {
    return { kind: 'redis', ...this.store.health() };
  }

  async open(
    id: string | undefined,
    { createWithId = false, admitNew }: OpenOptions = {},
  ): Promise<ChatConversation> {
    if (id !== undefined) {
      const cached = this.conversations.get(id);
      if (cached) {
        await cached.refresh();
        return cached;
      }
      if (await this.store.exists(id)) return this.load(id);
    }
    const retryAfterMs = admitNew?.() ?? 0;
    if (retryAfterMs > 0) throw new ConversationRefused('rate', retryAfterMs);
    if (createWithId && id !== undefined) {
      await this.store.create(id);
      return this.load(id);
    }
    const created = newId('c');
    await this.store.create(created);
    return this.load(created);
  }

  private load(id: string): Promise<RedisConversation> {
    const pending = this.opening.get(id);
    if (pending) return pending;
    const loading = RedisConversation.open(id, this.store, this.options).then(
      (c) => {
        this.opening.delete(id);
        this.conversations.set(id, c);
        return c;
      },
      (error: unknown) => {
        this.opening.delete(id);
        throw error;
      },
    );
    this.opening.set(id, loading);
    return loading;
  }

  get size(): number {
    return this.conversations.size;
  }

  /** Ends answers of dead nodes, takes over their queued turns, drops idle mirrors. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const [id, c] of this.conversations) {
        if (c.subscriberCount === 0 && c.idle && now - c.lastActivity > this.idleMs) {
          c.dispose();
          this.conversations.delete(id);
        }
      }
      if (!this.store.health().ok) return;
      for (const id of await this.store.expiredLeases(now)) {
        const interrupted = await this.store.interruptOrphans(id);
        if (interrupted < 0) continue;
        await this.store.forgetLease(id);
        if (interrupted > 0) {
          process.stderr.write(
            `ai-stream-chat: ended ${interrupted} answer(s) of a lost node in ${id} as interrupted\n`,
          );
        }
        const cached = this.conversations.get(id);
        if (cached) await cached.refresh();
        if ((await this.store.queueLength(id)) > 0) {
          const c = cached ?? (await this.load(id));
          c.resumeQueue();
        }
      }
    } catch {
      // Redis went away mid-sweep; the next sweep tries again.
    } finally {
      this.sweeping = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const c of this.conversations.values()) c.dispose();
    this.conversations.clear();
    await this.store.close();
  }
}
