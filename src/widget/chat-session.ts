/**
 * The client side of the protocol, without any DOM: the conversation state,
 * the connection, the outbox, and what to do with each frame. The element
 * renders it; the fault tests drive it in Node through a hostile proxy.
 */
import {
  codePointLength,
  type FeedbackValue,
  type Limits,
  type MessageParams,
  type SendFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '../protocol/index.js';
import { type Change, type ChatMessage, ChatState, type WelcomeOutcome } from './chat-state.js';
import {
  type ConnectionCallbacks,
  ConnectionController,
  type ConnectionOptions,
} from './controllers/connection-controller.js';
import { newClientMessageId } from './ids.js';

export interface ChatSessionCallbacks
  extends Pick<ConnectionCallbacks, 'url' | 'onStatus' | 'onProtocolError' | 'onClose'> {
  /** After each frame that changed the state (and after a welcome). */
  onChange(change: Change): void;
  onWelcome?(welcome: WelcomeFrame, outcome: WelcomeOutcome): void;
  /** Every frame, after the state has taken it, with what it changed (for host-page events). */
  onFrame?(frame: ServerFrame, change: Change): void;
}

type Host = ConstructorParameters<typeof ConnectionController>[0];

/** With a host (the element), the session is its controller: removing the host closes it. */
export class ChatSession {
  readonly state: ChatState;
  readonly connection: ConnectionController;
  /** A page of older history was asked for and has not come. */
  loadingOlder = false;
  /** The server's limits, from the last welcome. */
  #limits: Limits | undefined;
  readonly #ackTimeoutMs: number;
  /** The resend timer of each sent message still waiting for its ack, by clientMsgId. */
  readonly #ackTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    host: Host,
    private readonly callbacks: ChatSessionCallbacks,
    options: ConnectionOptions & { conversationId?: string; ackTimeoutMs?: number } = {},
  ) {
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.state = new ChatState(options.conversationId);
    // The session, not its connection, follows the host: closing it closes both.
    this.connection = new ConnectionController(
      undefined,
      {
        url: callbacks.url,
        conversationId: () => this.state.conversationId,
        resumePoints: () => this.state.resumePoints(),
        onFrame: (frame) => this.#receive(frame),
        onStatus: callbacks.onStatus,
        onProtocolError: callbacks.onProtocolError,
        ...(callbacks.onClose ? { onClose: callbacks.onClose } : {}),
      },
      options,
    );
    host?.addController(this);
  }

  hostDisconnected(): void {
    this.close();
  }

  open(): void {
    this.connection.open();
  }

  /** Closes the connection and stops waiting for acks (nothing outlives a removed element). */
  close(): void {
    this.connection.close();
    for (const timer of this.#ackTimers.values()) clearTimeout(timer);
    this.#ackTimers.clear();
  }

  /** Queues a user message; it goes out now if welcomed, else after the next welcome. */
  send(text: string, params?: MessageParams): ChatMessage {
    const message = this.state.addUserMessage(text, newClientMessageId(), params);
    this.#flushOutbox();
    this.callbacks.onChange({ kind: 'structure' });
    return message;
  }

  /** Cancels the answer that is streaming, if any; returns whether a cancel was sent. */
  stop(): boolean {
    const answer = this.state.streamingAnswer();
    return answer?.id !== undefined && this.connection.send({ type: 'cancel', messageId: answer.id });
  }

  /**
   * Cancels a queued question (one acknowledged and waiting behind the
   * answer being written): the server takes it out of the queue and ends its
   * answer at once, in every tab. Returns whether a cancel was sent.
   */
  cancelQueued(key: string): boolean {
    const question = this.state.messages.find((m) => m.key === key && m.role === 'user');
    return (
      question?.queued === true &&
      question.id !== undefined &&
      this.connection.send({ type: 'cancel', messageId: question.id })
    );
  }

  /**
   * Gives (or, with null, takes back) the reader's verdict on an ended
   * answer; the server records it and tells the other tabs. Returns whether
   * it was sent (not while disconnected: the welcome then keeps the server's).
   */
  feedback(answer: ChatMessage, value: FeedbackValue | null): boolean {
    if (answer.id === undefined || answer.status !== 'done') return false;
    if (!this.connection.send({ type: 'feedback', messageId: answer.id, value })) return false;
    this.state.setFeedback(answer, value);
    this.callbacks.onChange({ kind: 'structure' });
    return true;
  }

  /** Sends a failed message again, with the same client id, so it can never be created twice. */
  retry(key: string): void {
    if (!this.state.retry(key)) return;
    this.#flushOutbox();
    this.callbacks.onChange({ kind: 'structure' });
  }

  /** Asks the question of `answer` again (with its parameters), as a new message. */
  regenerate(answer: ChatMessage): ChatMessage | undefined {
    const question = this.state.questionOf(answer);
    return question === undefined ? undefined : this.send(question.text, question.params);
  }

  #flushOutbox(): void {
    for (const message of this.state.pending()) {
      const frame: SendFrame = {
        type: 'send',
        clientMsgId: message.clientMsgId as string,
        text: message.text,
        ...(message.params ? { params: message.params } : {}),
      };
      // A frame over the server's limits would be refused (or close the socket with 1009 and be
      // resent after every reconnect): refuse it here instead.
      const problem = this.#limits && tooLarge(frame, this.#limits);
      if (problem) {
        this.state.apply({
          type: 'error',
          code: 'text_too_long',
          message: problem,
          retryable: false,
          clientMsgId: frame.clientMsgId,
        });
        continue;
      }
      if (!this.connection.send(frame)) return;
      message.status = 'sent';
      this.#awaitAck(message);
    }
  }

  /**
   * Sends again, on the same connection, a message the server has not
   * acknowledged in time (a frame dropped under a rate limit, say). Safe:
   * `send` is idempotent on clientMsgId.
   */
  #awaitAck(message: ChatMessage): void {
    const clientMsgId = message.clientMsgId as string;
    this.#stopAwaitingAck(clientMsgId);
    const timer = setTimeout(() => {
      this.#ackTimers.delete(clientMsgId);
      if (message.status !== 'sent' || !this.state.messages.includes(message)) return;
      message.status = 'pending';
      this.#flushOutbox();
      this.callbacks.onChange({ kind: 'structure' });
    }, this.#ackTimeoutMs);
    this.#ackTimers.set(clientMsgId, timer);
  }

  /** The server answered the message (ack, its `user` frame, or an error naming it): no resend. */
  #stopAwaitingAck(clientMsgId: string): void {
    const timer = this.#ackTimers.get(clientMsgId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#ackTimers.delete(clientMsgId);
  }

  /**
   * Asks for the page of history before the oldest message held, when the
   * server has one (PROTOCOL.md section 17); one request at a time.
   */
  requestOlder(): boolean {
    const before = this.state.messages[0]?.id;
    if (!this.state.olderOnServer || before === undefined || this.loadingOlder) return false;
    // The server's page size (the reference server: 100 messages, within its welcome's text bound).
    this.loadingOlder = this.connection.send({ type: 'history', before });
    return this.loadingOlder;
  }

  #receive(frame: ServerFrame): void {
    if (frame.type === 'welcome' || frame.type === 'history') this.loadingOlder = false;
    // "No such message" for the pending page request (its `before` is still our oldest message):
    // the server trimmed its history past it, so no older page can be asked for. The message
    // itself is fine, so it gets no error.
    if (
      this.loadingOlder &&
      frame.type === 'error' &&
      frame.code === 'unknown_message' &&
      frame.messageId === this.state.messages[0]?.id
    ) {
      this.loadingOlder = false;
      this.state.olderOnServer = false;
      this.callbacks.onChange({ kind: 'structure' });
      return;
    }
    if (frame.type === 'welcome') {
      this.#limits = frame.limits;
      const outcome = this.state.applyWelcome(frame);
      this.#flushOutbox();
      this.callbacks.onWelcome?.(frame, outcome);
      this.callbacks.onChange({ kind: 'structure' });
      this.callbacks.onFrame?.(frame, { kind: 'structure' });
      return;
    }
    if ((frame.type === 'ack' || frame.type === 'user' || frame.type === 'error') && frame.clientMsgId)
      this.#stopAwaitingAck(frame.clientMsgId);
    const change = this.state.apply(frame);
    // Frames went missing: reconnect; the resume replays exactly what is missing.
    if (change.kind === 'gap') this.connection.reconnect('resync');
    else if (change.kind !== 'none') this.callbacks.onChange(change);
    this.callbacks.onFrame?.(frame, change);
  }
}

/** Why `frame` is over the server's limits, or undefined when it fits. */
function tooLarge(frame: SendFrame, limits: Limits): string | undefined {
  const length = codePointLength(frame.text);
  if (length > limits.maxTextLength) {
    return `Message is ${length} characters; the limit is ${limits.maxTextLength}.`;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(frame)).length;
  if (bytes > limits.maxFrameBytes) return `Message is ${bytes} bytes; the limit is ${limits.maxFrameBytes}.`;
  return undefined;
}
