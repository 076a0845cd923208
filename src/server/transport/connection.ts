import type { WebSocket } from 'ws';
import {
  type ClientFrame,
  CloseCode,
  codePointLength,
  ErrorCode,
  type ErrorFrame,
  type FeedbackFrame,
  type HelloFrame,
  type HistoryMessage,
  type HistoryRequestFrame,
  type Limits,
  MAX_HISTORY_PAGE,
  MAX_RESUME_ENTRIES,
  PROTOCOL_VERSION,
  parseClientFrame,
  type SendFrame,
  type ServerFrame,
} from '../../protocol/index.js';
import { type ChatFeedback, chatFeedback } from '../conversation/feedback.js';
import { newId } from '../conversation/ids.js';
import type { Replay, WelcomeHistory } from '../conversation/message-frames.js';
import { historyWithoutParts, withoutParts } from '../conversation/message-parts.js';
import { checkParams, type ParamsPolicy } from '../conversation/params-policy.js';
import {
  type ChatConversation,
  ConversationRefused,
  type FeedbackResult,
  QueueFull,
  type ResumeRequest,
} from '../store/conversation-store.js';
import { type BackpressureOptions, defaultBackpressure, Outbound, type OutboundEvents } from './outbound.js';

/** Shared by every connection of a server; `id` is the connection's `ConnectionContext.id`. */
export interface ConnectionEvents extends OutboundEvents {
  /** An `error` frame is being sent to the client. */
  errorFrame?(id: number, frame: ErrorFrame): void;
  /** A `hello.resume` entry was served with `deltas`, a `snapshot`, or not at all (`unknown`). */
  resume?(id: number, result: 'deltas' | 'snapshot' | 'unknown'): void;
  /** The client said hello and was welcomed into `conversationId`. */
  welcomed?(id: number, conversationId: string): void;
  /** A reader's verdict on an answer changed (recorded in the store). */
  feedback?(id: number, feedback: ChatFeedback): void;
}

export interface ConnectionContext {
  limits: Limits;
  heartbeatMs: number;
  params: ParamsPolicy;
  /**
   * Returns the conversation `id` names, or a new one when it is absent or
   * unknown; undefined when this connection may not open it.
   */
  openConversation(
    id: string | undefined,
  ): ChatConversation | undefined | Promise<ChatConversation | undefined>;
  /** Rate limit: true admits an inbound frame; an error frame or false drops it (answering with the frame). */
  admitFrame?(): true | ErrorFrame | false;
  /** Most messages that may wait behind the answer being generated; a send beyond gets `busy`. */
  maxQueuedPerConversation?: number;
  /** When to coalesce deltas for a slow reader, and when to give up on it (see outbound.ts). */
  backpressure?: BackpressureOptions;
  /** Told when deltas are coalesced, when the client is closed as a slow consumer, and more. */
  events?: ConnectionEvents;
  /** Names this connection in `events` (and logs). */
  id?: number;
}

/**
 * Speaks the protocol with one client socket: waits for `hello`, welcomes the
 * client into its conversation, then relays the conversation's frames and
 * the client's sends and cancels. Invalid frames get an `error` frame; they
 * never throw.
 */
export class Connection {
  private conversation: ChatConversation | undefined;
  /** Frames that arrived while a shared store was opening the conversation. */
  private backlog: ClientFrame[] | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly sessionId = newId('s');
  private readonly outbound: Outbound;
  /** The client asked for the parts of answers (PROTOCOL.md section 16); else it gets the version-1 view. */
  private parts = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly context: ConnectionContext,
  ) {
    this.outbound = new Outbound(
      socket,
      context.backpressure ?? defaultBackpressure,
      context.events,
      context.id,
    );
    socket.on('message', (data, isBinary) => {
      const verdict = this.context.admitFrame?.() ?? true;
      if (verdict !== true) {
        if (verdict) this.send(verdict);
        return;
      }
      if (isBinary) {
        this.sendError(ErrorCode.BinaryFrame, 'Binary frames are not part of the protocol; send JSON text.');
        return;
      }
      this.receive(data.toString());
    });
    socket.on('close', () => this.unsubscribe?.());
  }

  private receive(raw: string): void {
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.message, parsed.refs);
      return;
    }
    this.handle(parsed.frame);
  }

  private handle(frame: ClientFrame): void {
    if (frame.type === 'ping') {
      this.send({ type: 'pong' });
      return;
    }
    if (frame.type === 'hello') {
      this.hello(frame);
      return;
    }
    if (this.backlog) {
      this.backlog.push(frame);
      return;
    }
    const conversation = this.conversation;
    if (!conversation) {
      this.sendError(ErrorCode.BadState, `Send hello before ${frame.type}.`);
      return;
    }
    if (frame.type === 'send') this.submit(conversation, frame);
    else if (frame.type === 'feedback') this.feedback(conversation, frame);
    else if (frame.type === 'history') this.sendPage(conversation, frame);
    else if (!conversation.hasMessage(frame.messageId)) {
      this.sendError(ErrorCode.UnknownMessage, 'No such message in this conversation.', {
        messageId: frame.messageId,
      });
    } else conversation.cancel(frame.messageId);
  }

  /** A page of older history (PROTOCOL.md section 17). */
  private sendPage(conversation: ChatConversation, { before, limit }: HistoryRequestFrame): void {
    const page = conversation.page(before, Math.min(limit ?? MAX_HISTORY_PAGE, MAX_HISTORY_PAGE));
    if (page) this.send({ type: 'history', before, ...page });
    else
      this.sendError(ErrorCode.UnknownMessage, 'No such message in this conversation.', {
        messageId: before,
      });
  }

  private hello(frame: HelloFrame): void {
    if (this.conversation) {
      this.sendError(ErrorCode.BadState, 'hello was already received on this connection.');
      return;
    }
    if (frame.v !== PROTOCOL_VERSION) {
      this.socket.close(CloseCode.ProtocolVersionUnsupported, `protocol version ${PROTOCOL_VERSION} only`);
      return;
    }
    if (this.backlog) {
      this.sendError(ErrorCode.BadState, 'hello was already received on this connection.');
      return;
    }
    let opened: ReturnType<ConnectionContext['openConversation']>;
    try {
      opened = this.context.openConversation(frame.conversationId);
    } catch (error) {
      this.storeFailed(error);
      return;
    }
    if (!(opened instanceof Promise)) {
      this.welcome(frame, opened);
      return;
    }
    // A shared store (Redis) loads the conversation first; frames meanwhile wait.
    this.backlog = [];
    opened
      .then(async (conversation) => {
        if (conversation && conversation.id === frame.conversationId && conversation.prepareResume) {
          const resume = resumeRequests(frame);
          if (resume.length > 0) await conversation.prepareResume(resume);
        }
        return conversation;
      })
      .then(
        (conversation) => {
          const backlog = this.backlog ?? [];
          this.backlog = undefined;
          this.welcome(frame, conversation);
          if (this.conversation) for (const f of backlog) this.handle(f);
        },
        (error: unknown) => this.storeFailed(error),
      );
  }

  /** The store could not be reached: say so, and close so the client reconnects and tries again. */
  private storeFailed(error: unknown): void {
    this.backlog = undefined;
    if (error instanceof ConversationRefused) {
      this.send({
        type: 'error',
        code: error.reason === 'rate' ? ErrorCode.RateLimited : ErrorCode.Busy,
        message: `${error.message} Try again in ${Math.ceil(error.retryAfterMs / 1000)} s.`,
        retryable: true,
        retryAfterMs: error.retryAfterMs,
      });
      this.socket.close(CloseCode.TooMany, 'too many conversations');
      return;
    }
    this.send({
      type: 'error',
      code: ErrorCode.Internal,
      message: `The conversation store is unavailable (${error instanceof Error ? error.message : String(error)}); reconnecting will retry.`,
      retryable: true,
    });
    this.socket.close(CloseCode.Reconnect, 'store unavailable');
  }

  private welcome(frame: HelloFrame, conversation: ChatConversation | undefined): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (!conversation) {
      // 4503 tells the client to stop (a 44xx code would make it reconnect in a loop).
      this.sendError(ErrorCode.Forbidden, 'Your session token does not open that conversation.');
      this.socket.close(CloseCode.Forbidden, 'forbidden');
      return;
    }
    this.conversation = conversation;
    if (frame.compact === true) this.outbound.useCompactDeltas();
    this.parts = frame.parts === true;
    // Resuming only makes sense in the conversation the client asked for.
    const resume = conversation.id === frame.conversationId ? resumeRequests(frame) : [];
    const replays = resume.map((r) => ({ request: r, replay: conversation.replay(r) }));
    const resumed = new Set(replays.filter((r) => r.replay).map((r) => r.request.messageId));
    // Everything below happens in one tick with the subscription, so no live frame falls between.
    this.unsubscribe = conversation.subscribe((f) => this.send(f));
    const { history, omitted } = conversation.history(resumed);
    this.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      conversationId: conversation.id,
      heartbeatMs: this.context.heartbeatMs,
      limits: this.context.limits,
      ...welcomeHistory({ history: this.parts ? history : history.map(historyWithoutParts), omitted }),
      active: conversation.activeMessageIds(),
      ...(frame.compact === true ? { compact: true } : {}),
      ...(this.parts ? { parts: true } : {}),
      ...(frame.historyPages === true ? { historyPages: true } : {}),
    });
    this.context.events?.welcomed?.(this.context.id ?? 0, conversation.id);
    for (const { replay } of replays)
      this.context.events?.resume?.(this.context.id ?? 0, replay?.kind ?? 'unknown');
    if (replays.length > 0) this.outbound.sendSequence(this.replayFrames(replays));
  }

  /** Each resume's replay in turn, or its `unknown_message` error; built as the socket drains. */
  private *replayFrames(
    replays: readonly { request: ResumeRequest; replay: Replay | undefined }[],
  ): Generator<ServerFrame> {
    for (const { request, replay } of replays) {
      if (replay) {
        if (this.parts) yield* replay.frames;
        else for (const f of replay.frames) yield withoutParts(f);
        continue;
      }
      const error: ErrorFrame = {
        type: 'error',
        code: ErrorCode.UnknownMessage,
        message: 'Cannot resume a message this conversation does not have.',
        retryable: false,
        messageId: request.messageId,
      };
      this.context.events?.errorFrame?.(this.context.id ?? 0, error);
      yield error;
    }
  }

  private submit(conversation: ChatConversation, frame: SendFrame): void {
    const length = codePointLength(frame.text);
    if (length > this.context.limits.maxTextLength) {
      this.sendError(
        ErrorCode.TextTooLong,
        `Message is ${length} characters; the limit is ${this.context.limits.maxTextLength}.`,
        { clientMsgId: frame.clientMsgId },
      );
      return;
    }
    if (frame.text.trim() === '') {
      this.sendError(ErrorCode.BadFrame, 'Message text is empty.', { clientMsgId: frame.clientMsgId });
      return;
    }
    const params = frame.params ?? {};
    const problem = checkParams(params, this.context.params);
    if (problem) {
      this.sendError(ErrorCode.BadParams, `Invalid params: ${problem}.`, { clientMsgId: frame.clientMsgId });
      return;
    }
    const maxQueued = this.context.maxQueuedPerConversation ?? Number.POSITIVE_INFINITY;
    // One answer is generated at a time; up to maxQueued more may wait behind it (stores that count them).
    const waiting = (conversation.unansweredCount ?? 0) - 1;
    if (waiting >= maxQueued && conversation.hasClientMsgId?.(frame.clientMsgId) === false) {
      this.sendBusy(frame.clientMsgId, waiting);
      return;
    }
    const submitted = conversation.submit(frame.clientMsgId, frame.text, params);
    const ack = ({ message, queuePosition }: Awaited<typeof submitted>): void =>
      this.send({ type: 'ack', clientMsgId: frame.clientMsgId, messageId: message.id, queuePosition });
    if (!(submitted instanceof Promise)) {
      ack(submitted);
      return;
    }
    submitted.then(ack, (error: unknown) => {
      if (error instanceof QueueFull) {
        this.sendBusy(frame.clientMsgId, error.waiting);
        return;
      }
      // Not stored, so not acknowledged: the client sends it again after reconnecting.
      this.send({
        type: 'error',
        code: ErrorCode.Internal,
        message: `The message could not be stored (${error instanceof Error ? error.message : String(error)}).`,
        retryable: true,
      });
      this.socket.close(CloseCode.Reconnect, 'store unavailable');
    });
  }

  /**
   * Records a verdict on an ended answer. The store tells every socket on the
   * conversation (this one too) with a `feedback` frame when it changes.
   */
  private feedback(conversation: ChatConversation, { messageId, value }: FeedbackFrame): void {
    const answered = (result: FeedbackResult): void => {
      if (result.outcome === 'recorded') {
        if (!result.changed) return;
        const feedback = chatFeedback(conversation.id, value, result.answer, result.question);
        this.context.events?.feedback?.(this.context.id ?? 0, feedback);
      } else if (result.outcome === 'unknown') {
        this.sendError(ErrorCode.UnknownMessage, 'No such answer in this conversation.', { messageId });
      } else {
        this.sendError(ErrorCode.BadState, 'Feedback is for answers that have ended.', { messageId });
      }
    };
    const recorded = conversation.setFeedback(messageId, value);
    if (!(recorded instanceof Promise)) {
      answered(recorded);
      return;
    }
    recorded.then(answered, (error: unknown) =>
      // A shared store that could not record it: the client may send it again.
      this.send({
        type: 'error',
        code: ErrorCode.Internal,
        message: `The feedback could not be stored (${error instanceof Error ? error.message : String(error)}).`,
        retryable: true,
        messageId,
      }),
    );
  }

  /** Bytes this connection holds for its client: the socket's send buffer plus coalesced frames waiting. */
  get outboundBytes(): number {
    return this.outbound.bytes;
  }

  /** Over the high-water mark: the slow-consumer clock, not the heartbeat, decides when to give up on it. */
  get backlogged(): boolean {
    return this.outbound.backlogged;
  }

  private sendBusy(clientMsgId: string, waiting: number): void {
    this.send({
      type: 'error',
      code: ErrorCode.Busy,
      message: `${waiting} messages already wait for an answer; send this one once one is answered.`,
      retryable: true,
      clientMsgId,
    });
  }

  private sendError(code: ErrorCode, message: string, extra: Partial<ErrorFrame> = {}): void {
    this.send({ type: 'error', code, message, retryable: false, ...extra });
  }

  private send(frame: ServerFrame): void {
    if (frame.type === 'error') this.context.events?.errorFrame?.(this.context.id ?? 0, frame);
    this.outbound.send(this.parts ? frame : withoutParts(frame));
  }
}

/**
 * The resumes a hello asks for, each message once (the first entry naming it)
 * and at most MAX_RESUME_ENTRIES of them: a hello naming one long answer a
 * thousand times must cost what naming it once costs.
 */
function resumeRequests(frame: HelloFrame): ResumeRequest[] {
  const seen = new Set<string>();
  const requests: ResumeRequest[] = [];
  for (const { messageId, lastSeq } of frame.resume ?? []) {
    if (seen.has(messageId)) continue;
    seen.add(messageId);
    requests.push({ messageId, lastSeq });
    if (requests.length === MAX_RESUME_ENTRIES) break;
  }
  return requests;
}

/** A welcome's `history`, and `omitted` only when something was left out (version-1 welcomes stay as they were). */
function welcomeHistory({ history, omitted }: WelcomeHistory): {
  history: HistoryMessage[];
  omitted?: number;
} {
  return omitted > 0 ? { history, omitted } : { history };
}
