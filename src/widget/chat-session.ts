/**
 * The client side of the protocol, without any DOM: the conversation state,
 * the connection, the outbox, and what to do with each frame. The element
 * renders it; the fault tests drive it in Node through a hostile proxy.
 */
import type { MessageParams, ServerFrame, WelcomeFrame } from '../protocol/index.js';
import { type Change, type ChatMessage, ChatState, type WelcomeOutcome } from './chat-state.js';
import {
  type ConnectionCallbacks,
  ConnectionController,
  type ConnectionOptions,
} from './controllers/connection-controller.js';
import { newClientMessageId } from './ids.js';

export interface ChatSessionCallbacks
  extends Pick<ConnectionCallbacks, 'url' | 'onStatus' | 'onProtocolError'> {
  /** After each frame that changed the state (and after a welcome). */
  onChange(change: Change): void;
  onWelcome?(welcome: WelcomeFrame, outcome: WelcomeOutcome): void;
  /** Every frame, after the state has taken it, with what it changed (for host-page events). */
  onFrame?(frame: ServerFrame, change: Change): void;
}

type Host = ConstructorParameters<typeof ConnectionController>[0];

export class ChatSession {
  readonly state: ChatState;
  readonly connection: ConnectionController;

  constructor(
    host: Host,
    private readonly callbacks: ChatSessionCallbacks,
    options: ConnectionOptions & { conversationId?: string } = {},
  ) {
    this.state = new ChatState(options.conversationId);
    this.connection = new ConnectionController(
      host,
      {
        url: callbacks.url,
        conversationId: () => this.state.conversationId,
        resumePoints: () => this.state.resumePoints(),
        onFrame: (frame) => this.receive(frame),
        onStatus: callbacks.onStatus,
        onProtocolError: callbacks.onProtocolError,
      },
      options,
    );
  }

  open(): void {
    this.connection.open();
  }

  close(): void {
    this.connection.close();
  }

  /** Queues a user message; it goes out now if welcomed, else after the next welcome. */
  send(text: string, params?: MessageParams): ChatMessage {
    const message = this.state.addUserMessage(text, newClientMessageId(), params);
    this.flushOutbox();
    this.callbacks.onChange({ kind: 'structure' });
    return message;
  }

  /** Cancels the answer that is streaming, if any; returns whether a cancel was sent. */
  stop(): boolean {
    const answer = this.state.streamingAnswer();
    return answer?.id !== undefined && this.connection.send({ type: 'cancel', messageId: answer.id });
  }

  /** Sends a failed message again, with the same client id, so it can never be created twice. */
  retry(key: string): void {
    if (!this.state.retry(key)) return;
    this.flushOutbox();
    this.callbacks.onChange({ kind: 'structure' });
  }

  /** Asks the question of `answer` again (with its parameters), as a new message. */
  regenerate(answer: ChatMessage): ChatMessage | undefined {
    const question = this.state.questionOf(answer);
    return question === undefined ? undefined : this.send(question.text, question.params);
  }

  private flushOutbox(): void {
    for (const message of this.state.pending()) {
      const sent = this.connection.send({
        type: 'send',
        clientMsgId: message.clientMsgId as string,
        text: message.text,
        ...(message.params ? { params: message.params } : {}),
      });
      if (!sent) return;
      message.status = 'sent';
    }
  }

  private receive(frame: ServerFrame): void {
    if (frame.type === 'welcome') {
      const outcome = this.state.applyWelcome(frame);
      this.flushOutbox();
      this.callbacks.onWelcome?.(frame, outcome);
      this.callbacks.onChange({ kind: 'structure' });
      this.callbacks.onFrame?.(frame, { kind: 'structure' });
      return;
    }
    const change = this.state.apply(frame);
    // Frames went missing: reconnect; the resume replays exactly what is missing.
    if (change.kind === 'gap') this.connection.reconnect('resync');
    else if (change.kind !== 'none') this.callbacks.onChange(change);
    this.callbacks.onFrame?.(frame, change);
  }
}
