import type { ResolvedChatServerOptions } from '../options/chat-server-options.js';
import type { ChatSource } from '../sources/types.js';
import type { ConversationStore } from './conversation-store.js';
import { ConversationRegistry } from './memory-store.js';
import { RedisConversationStore } from './redis/redis-conversation-store.js';

/** Where this server keeps conversations: its own memory, or Redis shared with other nodes. */
export function openConversationStore(
  config: ResolvedChatServerOptions,
  source: ChatSource,
): ConversationStore {
  const c = config.conversation;
  const conversationOptions = {
    source,
    followUp: config.followUp,
    replayMaxChars: c.replayMaxChars,
    deltaWindowMs: c.deltaWindowMs,
    replayRetentionMs: c.replayRetentionMs,
    maxHistoryMessages: c.maxHistoryMessages,
    welcomeHistoryChars: c.welcomeHistoryChars,
    // With `interrupt` a send replaces what waits, so nothing piles up (the connection checks memory's count itself).
    maxQueuedPerConversation: config.followUp === 'queue' ? config.maxQueuedPerConversation : undefined,
  };
  if (config.redis === undefined) {
    return new ConversationRegistry(conversationOptions, c.conversationTtlMs, c.maxConversations);
  }
  return new RedisConversationStore(
    { ...config.redis, replayRetentionMs: c.replayRetentionMs, maxHistoryMessages: c.maxHistoryMessages },
    conversationOptions,
  );
}
