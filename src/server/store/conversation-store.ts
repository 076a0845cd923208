import type { FeedbackValue, MessageParams, ServerFrame } from '../../protocol/index.js';
import type { HistoryPage, MessageRecord, Replay, WelcomeHistory } from '../conversation/message-frames.js';

export type FrameListener = (frame: ServerFrame) => void;

export interface ResumeRequest {
  messageId: string;
  lastSeq: number;
}

export interface SubmitResult {
  /** The user message (the one created the first time, for a retried send). */
  message: { id: string };
  created: boolean;
  queuePosition: number;
}

/**
 * What recording a reader's verdict did: `recorded` with the answer (and the
 * question it answers, where the store holds it), or why not: no such answer
 * in the conversation, or the answer has not ended.
 */
export type FeedbackResult =
  | {
      outcome: 'recorded';
      answer: MessageRecord;
      question: MessageRecord | undefined;
      /** False when the answer already had this verdict. */
      changed: boolean;
    }
  | { outcome: 'unknown' | 'unfinished' };

/**
 * One conversation as a connection sees it. The in-memory `Conversation`
 * answers everything synchronously; the Redis one loads what a welcome and
 * a resume need first (`prepareResume`) and persists sends asynchronously.
 *
 * The rule that keeps delivery exact: `subscribe`, `history`,
 * `activeMessageIds` and `replay` are called in one tick, so a message's
 * history or replay ends at seq N and the listener gets N+1 onwards.
 */
export interface ChatConversation {
  readonly id: string;
  subscribe(listener: FrameListener): () => void;
  history(omitText?: ReadonlySet<string>): WelcomeHistory;
  /** The page of older history before `before` (at most `limit` messages); undefined when it has no such message. */
  page(before: string, limit: number): HistoryPage | undefined;
  activeMessageIds(): string[];
  replay(request: ResumeRequest): Replay | undefined;
  /** Fetches what `replay` needs for these resumes (stores whose deltas live elsewhere). */
  prepareResume?(requests: readonly ResumeRequest[]): Promise<void>;
  submit(clientMsgId: string, text: string, params: MessageParams): SubmitResult | Promise<SubmitResult>;
  /** Stops the answer `messageId` wherever it is generated. Safe to repeat. */
  cancel(messageId: string): boolean;
  hasMessage(messageId: string): boolean;
  /**
   * Records a reader's verdict on the ended answer `messageId` (`null` takes
   * it back), stored with the message; when it changes, every socket on the
   * conversation gets a `feedback` frame. Safe to repeat.
   */
  setFeedback(messageId: string, value: FeedbackValue | null): FeedbackResult | Promise<FeedbackResult>;
  /** User messages not answered yet (being answered or waiting), where the store counts them. */
  readonly unansweredCount?: number;
  /** Whether a send with this client id was already taken, where the store can tell at once. */
  hasClientMsgId?(clientMsgId: string): boolean;
}

/**
 * Thrown by `open` when a new conversation may not be created now: its
 * client made too many (`rate`), or the server holds all it can (`full`).
 */
export class ConversationRefused extends Error {
  constructor(
    readonly reason: 'rate' | 'full',
    readonly retryAfterMs: number,
  ) {
    super(
      reason === 'rate'
        ? 'Too many new conversations from your address.'
        : 'The server holds all the conversations it can.',
    );
  }
}

/**
 * Rejects a `submit` when `waiting` messages already wait behind the answer
 * being generated (stores that can only tell when they store it, e.g. Redis
 * across nodes); the client gets `busy`.
 */
export class QueueFull extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} messages already wait for an answer.`);
  }
}

export interface OpenOptions {
  /** Give a new conversation this id (a session token names its conversation before it exists). */
  createWithId?: boolean;
  /** Asked before a conversation is created: 0 admits it, else the ms until one may be (see ConversationRefused). */
  admitNew?: () => number;
}

export interface StoreHealth {
  kind: 'memory' | 'redis';
  ok: boolean;
  /** Why the store is not usable, when it is not. */
  error?: string;
}

/**
 * Where conversations live: one process's memory (`ConversationRegistry`,
 * the default) or Redis shared by many server nodes (`RedisConversationStore`).
 */
export interface ConversationStore {
  /**
   * The conversation `id` names, or a new one when it is absent or unknown.
   * `createWithId` gives the new one that id.
   */
  open(id: string | undefined, options?: OpenOptions): ChatConversation | Promise<ChatConversation>;
  health(): StoreHealth;
  close(): void | Promise<void>;
}
