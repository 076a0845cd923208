/**
 * The events `<ai-stream-chat>` fires for host pages. All bubble and are
 * composed, so they reach listeners on any ancestor, across shadow roots.
 */
import type {
  FeedbackValue,
  FinishReason,
  MessageParams,
  ServerFrame,
  SourceRef,
  ToolStep,
  Usage,
} from '../protocol/index.js';
import type { Change, ChatMessage } from './chat-state.js';
import type { ConnectionStatus } from './controllers/connection-controller.js';

/** The connection as the widget shows it: the socket's status, or `offline` when the browser is. */
export type ShownConnectionStatus = ConnectionStatus | 'offline';

export interface MessageSentDetail {
  clientMsgId: string;
  text: string;
  /** Model parameters that travel with the message (`params` merged with the `send` argument). */
  params: MessageParams;
}

export interface AnswerStartDetail {
  messageId: string;
  /** Server id of the user message it answers. */
  replyTo: string;
}

export interface AnswerDoneDetail {
  messageId: string;
  /** The answer's full markdown text (without its reasoning). */
  text: string;
  /** Its reasoning (markdown), tool steps in their last state, and numbered sources; empty when it has none. */
  reasoning: string;
  tools: ToolStep[];
  sources: SourceRef[];
  finishReason: FinishReason;
  usage: Usage | null;
}

export interface FeedbackDetail {
  /** The answer's id. */
  messageId: string;
  /** `up`, `down`, or `null` when the reader took the verdict back. */
  value: FeedbackValue | null;
}

export interface ChatErrorDetail {
  code: string;
  message: string;
  retryable: boolean;
  messageId?: string;
  clientMsgId?: string;
}

export interface ConnectionChangeDetail {
  status: ShownConnectionStatus;
  /** Why, when the server gave a reason (e.g. the close reason of a stopped connection). */
  detail: string;
}

export interface AiStreamChatEventMap {
  'ai-chat-message-sent': CustomEvent<MessageSentDetail>;
  'ai-chat-answer-start': CustomEvent<AnswerStartDetail>;
  'ai-chat-answer-done': CustomEvent<AnswerDoneDetail>;
  'ai-chat-feedback': CustomEvent<FeedbackDetail>;
  'ai-chat-error': CustomEvent<ChatErrorDetail>;
  'ai-chat-connection-change': CustomEvent<ConnectionChangeDetail>;
}

type DetailOf<K extends keyof AiStreamChatEventMap> =
  AiStreamChatEventMap[K] extends CustomEvent<infer D> ? D : never;

/** Dispatches a bubbling, composed CustomEvent from `target`. */
export function emit<K extends keyof AiStreamChatEventMap>(
  target: EventTarget,
  type: K,
  detail: DetailOf<K>,
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

/**
 * Fires the event a server frame means for the host page, if any: an answer
 * started or finished (only the first time: replays change nothing), or an
 * error. `answer` is the message a `done` frame finished.
 */
export function emitFrameEvent(
  target: EventTarget,
  frame: ServerFrame,
  change: Change,
  answer?: ChatMessage,
): void {
  if (frame.type === 'start' && change.kind === 'structure') {
    emit(target, 'ai-chat-answer-start', { messageId: frame.messageId, replyTo: frame.replyTo });
  } else if (frame.type === 'done' && change.kind === 'structure' && answer) {
    const { messageId, finishReason, usage } = frame;
    const { text, reasoning = '', tools = [], sources = [] } = answer;
    emit(target, 'ai-chat-answer-done', { messageId, text, finishReason, usage, reasoning, tools, sources });
  } else if (frame.type === 'error') {
    const { code, message, retryable, messageId, clientMsgId } = frame;
    emit(target, 'ai-chat-error', {
      code,
      message,
      retryable,
      ...(messageId ? { messageId } : {}),
      ...(clientMsgId ? { clientMsgId } : {}),
    });
  }
}

// Typed listeners for TypeScript users: on the element, and (the events
// bubble and are composed) on document and window.
declare global {
  interface HTMLElementEventMap extends AiStreamChatEventMap {}
  interface DocumentEventMap extends AiStreamChatEventMap {}
  interface WindowEventMap extends AiStreamChatEventMap {}
}
