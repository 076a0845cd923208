import type { FinishReason, HistoryMessage, MessageParams, ServerFrame, Usage } from '../protocol/index.js';
import { newId } from './ids.js';
import type { SourceMessage, TokenSource } from './sources/types.js';

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** Assistant: number of deltas so far (the seq of the last one). */
  seq: number;
  clientMsgId?: string;
  replyTo?: string;
  /** Assistant: set once the answer has ended. */
  finishReason?: FinishReason;
  usage?: Usage | null;
}

export type FrameListener = (frame: ServerFrame) => void;

interface Generation {
  message: StoredMessage;
  abort: AbortController;
}

interface QueuedTurn {
  user: StoredMessage;
  params: MessageParams;
}

/**
 * One conversation: its history, the answer being generated, and the sockets
 * following it. Answers are generated one at a time; a follow-up sent while an
 * answer streams waits for it. A dropped socket never stops generation: only
 * `cancel` does.
 */
export class Conversation {
  readonly id: string;
  readonly messages: StoredMessage[] = [];
  private readonly listeners = new Set<FrameListener>();
  private readonly byClientMsgId = new Map<string, StoredMessage>();
  private readonly queue: QueuedTurn[] = [];
  private current: Generation | undefined;

  constructor(
    private readonly source: TokenSource,
    id: string = newId('c'),
  ) {
    this.id = id;
  }

  /** Follows the conversation's frames; returns the function that stops following. */
  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  history(): HistoryMessage[] {
    return this.messages.map((m) => ({
      id: m.id,
      role: m.role,
      text: m.text,
      ...(m.role === 'assistant' ? { seq: m.seq } : {}),
      ...(m.finishReason ? { finishReason: m.finishReason } : {}),
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
    }));
  }

  /** Ids of assistant messages still being generated. */
  activeMessageIds(): string[] {
    return this.current ? [this.current.message.id] : [];
  }

  /**
   * Adds a user message and schedules its answer. Idempotent on
   * `clientMsgId`: a retried send returns the message created the first time.
   */
  submit(
    clientMsgId: string,
    text: string,
    params: MessageParams,
  ): { message: StoredMessage; created: boolean } {
    const existing = this.byClientMsgId.get(clientMsgId);
    if (existing) return { message: existing, created: false };
    const user: StoredMessage = { id: newId('m'), role: 'user', text, seq: 0, clientMsgId };
    this.messages.push(user);
    this.byClientMsgId.set(clientMsgId, user);
    this.queue.push({ user, params });
    queueMicrotask(() => this.pump());
    return { message: user, created: true };
  }

  /** Stops the answer `messageId` if it is still being generated. Safe to repeat. */
  cancel(messageId: string): boolean {
    if (this.current?.message.id !== messageId) return false;
    this.current.abort.abort();
    return true;
  }

  hasMessage(messageId: string): boolean {
    return this.messages.some((m) => m.id === messageId);
  }

  private emit(frame: ServerFrame): void {
    for (const listener of this.listeners) listener(frame);
  }

  private pump(): void {
    if (this.current) return;
    const turn = this.queue.shift();
    if (!turn) return;
    void this.generate(turn).finally(() => {
      this.current = undefined;
      this.pump();
    });
  }

  private async generate({ user, params }: QueuedTurn): Promise<void> {
    const message: StoredMessage = { id: newId('m'), role: 'assistant', text: '', seq: 0, replyTo: user.id };
    const context: SourceMessage[] = [];
    if (params.system) context.push({ role: 'system', content: params.system });
    for (const m of this.messages) {
      if (m.text) context.push({ role: m.role, content: m.text });
      if (m === user) break;
    }
    this.messages.push(message);
    const abort = new AbortController();
    this.current = { message, abort };
    this.emit({ type: 'start', messageId: message.id, replyTo: user.id });

    let finishReason: FinishReason = 'stop';
    let usage: Usage | null = null;
    try {
      const chunks = this.source.generate({ messages: context, params, signal: abort.signal });
      for (;;) {
        const next = await chunks.next();
        if (next.done) {
          finishReason = next.value.finishReason;
          usage = next.value.usage;
          break;
        }
        if (abort.signal.aborted) break;
        if (next.value === '') continue;
        message.seq += 1;
        message.text += next.value;
        this.emit({ type: 'delta', messageId: message.id, seq: message.seq, text: next.value });
      }
      if (abort.signal.aborted) {
        finishReason = 'cancelled';
        // Closing the generator lets the source release its upstream request.
        await chunks.return({ finishReason: 'stop', usage: null }).catch(() => {});
      }
    } catch (error) {
      if (abort.signal.aborted) {
        finishReason = 'cancelled';
      } else {
        finishReason = 'error';
        this.emit({
          type: 'error',
          code: 'source_failed',
          message: `The model failed: ${error instanceof Error ? error.message : String(error)}`,
          retryable: true,
          messageId: message.id,
        });
      }
    }
    message.finishReason = finishReason;
    message.usage = usage;
    this.emit({ type: 'done', messageId: message.id, seq: message.seq, finishReason, usage });
  }
}
