/**
 * The conversation as the widget knows it, and the rules for applying server
 * frames to it. Pure data and logic: no DOM, no socket.
 */
import type { FinishReason, HistoryMessage, ServerFrame, WelcomeFrame } from '../protocol/index.js';

export type MessageStatus =
  /** User message waiting in the outbox for a welcomed connection. */
  | 'pending'
  /** User message sent, not yet acknowledged. */
  | 'sent'
  /** User message acknowledged; assistant message complete. */
  | 'done'
  /** Assistant message still streaming. */
  | 'streaming'
  /** User message the server refused. */
  | 'failed';

export interface ChatMessage {
  /** Stable local key: the client message id for user messages, the server id otherwise. */
  key: string;
  role: 'user' | 'assistant';
  /** Server id, once known. */
  id?: string;
  clientMsgId?: string;
  text: string;
  /** Assistant: seq of the last delta applied. */
  seq: number;
  status: MessageStatus;
  finishReason?: FinishReason;
  error?: string;
}

/** What applying a frame changed, so the view knows how much to redraw. */
export type Change =
  | { kind: 'none' }
  /** Messages were added, removed or changed status. */
  | { kind: 'structure' }
  /** Only the text of one message grew. */
  | { kind: 'text'; message: ChatMessage }
  /** A delta arrived after a gap: the client must resync (reconnect and take the server's text). */
  | { kind: 'gap'; message: ChatMessage };

export class ChatState {
  messages: ChatMessage[] = [];
  conversationId: string | undefined;

  private byId(id: string): ChatMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Queues a user message; it stays pending until the outbox sends it. */
  addUserMessage(text: string, clientMsgId: string): ChatMessage {
    const message: ChatMessage = {
      key: clientMsgId,
      role: 'user',
      clientMsgId,
      text,
      seq: 0,
      status: 'pending',
    };
    this.messages.push(message);
    return message;
  }

  pending(): ChatMessage[] {
    return this.messages.filter((m) => m.status === 'pending');
  }

  /**
   * Takes the server's view of the conversation. A message we already hold
   * keeps its text when the server has nothing newer, so nothing redraws or
   * doubles; otherwise the server's text replaces ours. User messages the
   * server has not confirmed (the outbox) stay at the end.
   *
   * Returns false when the server no longer knows our conversation (it
   * restarted with an in-memory store): we keep what we show, mark answers
   * that were streaming as interrupted, and unconfirmed messages go out again
   * in the new conversation.
   */
  applyWelcome(welcome: WelcomeFrame): boolean {
    const lost = this.conversationId !== undefined && this.conversationId !== welcome.conversationId;
    this.conversationId = welcome.conversationId;
    if (lost) {
      for (const m of this.messages) {
        if (m.status === 'streaming') this.finish(m, 'interrupted');
        if (m.status === 'sent') m.status = 'pending';
      }
      return false;
    }
    const merged = welcome.history.map((h) => {
      const known = this.messages.find(
        (m) => m.id === h.id || (h.clientMsgId !== undefined && m.clientMsgId === h.clientMsgId),
      );
      return this.fromHistory(h, known, welcome.active.includes(h.id));
    });
    const mergedKeys = new Set(merged.map((m) => m.key));
    const unconfirmed = this.messages.filter(
      (m) => !mergedKeys.has(m.key) && m.role === 'user' && m.status !== 'done',
    );
    for (const m of unconfirmed) if (m.status === 'sent') m.status = 'pending';
    this.messages = [...merged, ...unconfirmed];
    return true;
  }

  private fromHistory(h: HistoryMessage, known: ChatMessage | undefined, active: boolean): ChatMessage {
    const seq = h.seq ?? 0;
    const keepText = known !== undefined && known.role === 'assistant' && known.seq === seq;
    const message: ChatMessage = known ?? {
      key: h.role === 'user' ? (h.clientMsgId ?? h.id) : h.id,
      role: h.role,
      text: '',
      seq: 0,
      status: 'done',
    };
    message.id = h.id;
    if (h.clientMsgId !== undefined) message.clientMsgId = h.clientMsgId;
    if (!keepText) {
      message.text = h.text;
      message.seq = seq;
    }
    if (h.role === 'assistant') {
      message.status = active ? 'streaming' : 'done';
      if (h.finishReason !== undefined) message.finishReason = h.finishReason;
      else if (!active) message.finishReason = 'interrupted';
    } else {
      message.status = 'done';
    }
    return message;
  }

  apply(frame: ServerFrame): Change {
    switch (frame.type) {
      case 'ack': {
        const m = this.messages.find((x) => x.clientMsgId === frame.clientMsgId);
        if (!m) return { kind: 'none' };
        m.id = frame.messageId;
        m.status = 'done';
        return { kind: 'structure' };
      }
      case 'start': {
        if (this.byId(frame.messageId)) return { kind: 'none' };
        this.messages.push({
          key: frame.messageId,
          role: 'assistant',
          id: frame.messageId,
          text: '',
          seq: 0,
          status: 'streaming',
        });
        return { kind: 'structure' };
      }
      case 'delta': {
        const m = this.byId(frame.messageId);
        if (m?.status !== 'streaming') return { kind: 'none' };
        if (frame.seq <= m.seq) return { kind: 'none' }; // duplicate
        if (frame.seq !== m.seq + 1) return { kind: 'gap', message: m };
        m.text += frame.text;
        m.seq = frame.seq;
        return { kind: 'text', message: m };
      }
      case 'snapshot': {
        const m = this.byId(frame.messageId);
        if (!m || frame.seq < m.seq) return { kind: 'none' };
        m.text = frame.text;
        m.seq = frame.seq;
        return { kind: 'text', message: m };
      }
      case 'done': {
        const m = this.byId(frame.messageId);
        if (!m) return { kind: 'none' };
        if (frame.seq !== m.seq) return { kind: 'gap', message: m };
        this.finish(m, frame.finishReason);
        return { kind: 'structure' };
      }
      case 'error': {
        if (frame.clientMsgId === undefined) return { kind: 'none' };
        const m = this.messages.find((x) => x.clientMsgId === frame.clientMsgId);
        if (!m) return { kind: 'none' };
        m.status = 'failed';
        m.error = frame.message;
        return { kind: 'structure' };
      }
      default:
        return { kind: 'none' };
    }
  }

  private finish(m: ChatMessage, reason: FinishReason): void {
    m.status = 'done';
    m.finishReason = reason;
  }
}
