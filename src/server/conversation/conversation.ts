import type { FeedbackValue, FinishReason, MessageParams, ServerFrame, Usage } from '../../protocol/index.js';
import { streamChunks } from '../sources/stream-chunks.js';
import type { ChatSource, SourceMessage } from '../sources/types.js';
import type { ChatConversation, FeedbackResult } from '../store/conversation-store.js';
import { growText, settleText } from './answer-text.js';
import { DeltaWindow } from './delta-window.js';
import { newId } from './ids.js';
import {
  type HistoryPage,
  historyOf,
  type MessageWithLog,
  pageOf,
  type Replay,
  replayOf,
  type WelcomeHistory,
} from './message-frames.js';
import { applyDelta, bodyOf, deltaFrame } from './message-parts.js';
import { ReplayLog } from './replay-log.js';

/** Abort reason of a generation stopped because the server is going away, not by the user. */
export const INTERRUPTED = 'interrupted';

export type FrameListener = (frame: ServerFrame) => void;

/** What to do with a message sent while an answer is still streaming. */
export type FollowUpPolicy = 'queue' | 'interrupt';

export interface ConversationOptions {
  source: ChatSource;
  followUp: FollowUpPolicy;
  /** Characters of deltas kept per message for replay. */
  replayMaxChars: number;
  /** Text produced within this many ms of the last delta joins the next one (see DeltaWindow). */
  deltaWindowMs: number;
  /** How long deltas are kept after an answer ends. */
  replayRetentionMs: number;
  /** Messages kept per conversation; older ones are dropped once settled (answered, ended). */
  maxHistoryMessages: number;
  /** Characters of message text a welcome carries at most; older history is left out of it. */
  welcomeHistoryChars: number;
}

interface Generation {
  message: MessageWithLog;
  abort: AbortController;
}

interface QueuedTurn {
  user: MessageWithLog;
  params: MessageParams;
}

export interface ResumeRequest {
  messageId: string;
  lastSeq: number;
}

/**
 * One conversation: its history, the answer being generated, and the sockets
 * following it. Answers are generated one at a time; a message sent while an
 * answer streams waits for it or interrupts it, per the follow-up policy. A
 * dropped socket never stops generation: only `cancel` does.
 */
export class Conversation implements ChatConversation {
  readonly id: string;
  readonly messages: MessageWithLog[] = [];
  /** Time of the last send, cancel or end of an answer (for expiry). */
  lastActivity = Date.now();
  private readonly listeners = new Set<FrameListener>();
  private readonly byClientMsgId = new Map<string, MessageWithLog>();
  private readonly queue: QueuedTurn[] = [];
  private current: Generation | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Messages dropped from the front of `messages` (see `trim`). */
  private trimmed = 0;

  constructor(
    private readonly options: ConversationOptions,
    id: string = newId('c'),
  ) {
    this.id = id;
  }

  /** Follows the conversation's frames; returns the function that stops following. */
  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** True when nothing is being or waiting to be generated. */
  get idle(): boolean {
    return this.current === undefined && this.queue.length === 0;
  }

  /**
   * The history for a `welcome`. Messages in `omitText` (those the client is
   * resuming) come without text: `replay` sends what the client is missing.
   */
  history(omitText: ReadonlySet<string> = new Set()): WelcomeHistory {
    return historyOf(this.messages, omitText, {
      maxChars: this.options.welcomeHistoryChars,
      trimmed: this.trimmed,
    });
  }

  /** A page of older history: the messages before `before`, within the welcome's text budget. */
  page(before: string, limit: number): HistoryPage | undefined {
    return pageOf(this.messages, before, { limit, maxChars: this.options.welcomeHistoryChars });
  }

  /** Ids of assistant messages still being generated. */
  activeMessageIds(): string[] {
    return this.current ? [this.current.message.id] : [];
  }

  /**
   * The frames that bring a client holding `lastSeq` of a message up to date:
   * exactly the missing deltas when they are all still kept, else one
   * snapshot of the whole text (never a partial replay); then `done` if the
   * answer has ended. Undefined for a message this conversation does not have.
   */
  replay({ messageId, lastSeq }: ResumeRequest): Replay | undefined {
    const m = this.messages.find((x) => x.id === messageId && x.role === 'assistant');
    return m && replayOf(m, lastSeq);
  }

  /**
   * Adds a user message and schedules its answer. Idempotent on
   * `clientMsgId`: a retried send returns the message created the first time.
   */
  submit(
    clientMsgId: string,
    text: string,
    params: MessageParams,
  ): { message: MessageWithLog; created: boolean; queuePosition: number } {
    const existing = this.byClientMsgId.get(clientMsgId);
    if (existing) {
      const position = this.queue.findIndex((t) => t.user === existing);
      return {
        message: existing,
        created: false,
        queuePosition: position < 0 ? 0 : position + (this.current ? 1 : 0),
      };
    }
    this.lastActivity = Date.now();
    const user: MessageWithLog = { id: newId('m'), role: 'user', text, seq: 0, clientMsgId };
    this.messages.push(user);
    this.byClientMsgId.set(clientMsgId, user);
    if (this.options.followUp === 'interrupt') {
      this.queue.length = 0;
      this.current?.abort.abort();
    }
    this.queue.push({ user, params });
    this.trim();
    // Under `interrupt` the answer being generated was just stopped: nothing comes before this one.
    const ahead = this.current && this.options.followUp === 'queue' ? 1 : 0;
    const queuePosition = this.queue.length - 1 + ahead;
    // Every socket on the conversation (other tabs too) sees the question before its answer starts.
    this.emit({ type: 'user', messageId: user.id, clientMsgId, text, queuePosition });
    queueMicrotask(() => this.pump());
    return { message: user, created: true, queuePosition };
  }

  /**
   * Stops an answer: `messageId` names it, or the user message it answers.
   * A user message still waiting in the queue leaves it, and its answer
   * starts and ends at once (`cancelled`, no text), so every client sees it
   * end. Safe to repeat; false when there was nothing to stop.
   */
  cancel(messageId: string): boolean {
    const current = this.current;
    if (current && (current.message.id === messageId || current.message.replyTo === messageId)) {
      this.lastActivity = Date.now();
      current.abort.abort();
      return true;
    }
    const queued = this.queue.findIndex((t) => t.user.id === messageId);
    if (queued < 0) return false;
    this.queue.splice(queued, 1);
    this.lastActivity = Date.now();
    const answer: MessageWithLog = {
      id: newId('m'),
      role: 'assistant',
      text: '',
      seq: 0,
      replyTo: messageId,
      finishReason: 'cancelled',
      usage: null,
    };
    this.messages.push(answer);
    this.emit({ type: 'start', messageId: answer.id, replyTo: messageId });
    this.emit({ type: 'done', messageId: answer.id, seq: 0, finishReason: 'cancelled', usage: null });
    this.trim();
    return true;
  }

  /** User messages not answered yet: the one being (or about to be) answered and those waiting behind it. */
  get unansweredCount(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Whether a send with this client id was already taken (a resend of it is acknowledged again). */
  hasClientMsgId(clientMsgId: string): boolean {
    return this.byClientMsgId.has(clientMsgId);
  }

  hasMessage(messageId: string): boolean {
    return this.messages.some((m) => m.id === messageId);
  }

  setFeedback(messageId: string, value: FeedbackValue | null): FeedbackResult {
    const answer = this.messages.find((m) => m.id === messageId && m.role === 'assistant');
    if (!answer) return { outcome: 'unknown' };
    if (!answer.finishReason) return { outcome: 'unfinished' };
    const changed = (answer.feedback ?? null) !== value;
    if (changed) {
      if (value) answer.feedback = value;
      else delete answer.feedback;
      this.lastActivity = Date.now();
      this.emit({ type: 'feedback', messageId, value });
    }
    const question = this.messages.find((m) => m.id === answer.replyTo);
    return { outcome: 'recorded', answer, question, changed };
  }

  /** Stops generation and timers; the conversation is being dropped (an answer cut short ends `interrupted`). */
  dispose(): void {
    this.queue.length = 0;
    this.current?.abort.abort(INTERRUPTED);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
  }

  /**
   * Drops the oldest messages past `maxHistoryMessages`, as far as they are
   * settled: an ended answer, or a user message neither waiting nor being answered.
   */
  private trim(): void {
    let excess = this.messages.length - this.options.maxHistoryMessages;
    let count = 0;
    while (excess > 0) {
      const m = this.messages[count];
      if (!m || !this.settled(m)) break;
      if (m.clientMsgId !== undefined) this.byClientMsgId.delete(m.clientMsgId);
      count++;
      excess--;
    }
    if (count === 0) return;
    this.messages.splice(0, count);
    this.trimmed += count;
  }

  private settled(m: MessageWithLog): boolean {
    if (m.role === 'assistant') return m.finishReason !== undefined;
    return this.current?.message.replyTo !== m.id && !this.queue.some((t) => t.user === m);
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
      this.lastActivity = Date.now();
      this.pump();
    });
  }

  private contextFor(user: MessageWithLog, params: MessageParams): SourceMessage[] {
    const context: SourceMessage[] = [];
    if (params.system) context.push({ role: 'system', content: params.system });
    for (const m of this.messages) {
      if (m.text) context.push({ role: m.role, content: m.text });
      if (m === user) break;
    }
    return context;
  }

  private async generate({ user, params }: QueuedTurn): Promise<void> {
    const message: MessageWithLog = {
      id: newId('m'),
      role: 'assistant',
      text: '',
      seq: 0,
      replyTo: user.id,
    };
    message.log = new ReplayLog(this.options.replayMaxChars, message);
    growText(message);
    const context = this.contextFor(user, params);
    this.messages.push(message);
    const abort = new AbortController();
    this.current = { message, abort };
    this.emit({ type: 'start', messageId: message.id, replyTo: user.id });

    let finishReason: FinishReason = 'stop';
    let usage: Usage | null = null;
    const deltas = new DeltaWindow(this.options.deltaWindowMs, (part) => {
      const body = bodyOf(part, message);
      message.seq += 1;
      applyDelta(message, body);
      message.log?.append(message.seq, body);
      this.emit(deltaFrame(message.id, message.seq, body));
    });
    try {
      const request = { messages: context, params, signal: abort.signal };
      const result = await streamChunks(this.options.source, request, (chunk) => deltas.push(chunk));
      if (abort.signal.aborted) {
        finishReason = abort.signal.reason === INTERRUPTED ? 'interrupted' : 'cancelled';
      } else {
        finishReason = result.finishReason;
        usage = result.usage;
      }
    } catch (error) {
      deltas.flush();
      if (abort.signal.aborted) {
        finishReason = abort.signal.reason === INTERRUPTED ? 'interrupted' : 'cancelled';
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
    // Text the model produced before the end (or the cut) is part of the answer.
    deltas.flush();
    settleText(message);
    message.finishReason = finishReason;
    message.usage = usage;
    this.emit({ type: 'done', messageId: message.id, seq: message.seq, finishReason, usage });
    this.trim();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      message.log?.clear();
    }, this.options.replayRetentionMs);
    timer.unref();
    this.timers.add(timer);
  }
}
