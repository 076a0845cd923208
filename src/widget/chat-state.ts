/**
 * The conversation as the widget knows it, and the rules for applying server
 * frames to it: each answer's text grows only by the next delta in sequence,
 * so it lands exactly once whatever the server replays. Pure data and logic:
 * no DOM, no socket (the fault tests run it in Node).
 */
import {
  type AnswerParts,
  applyParts,
  type FeedbackValue,
  type FinishReason,
  type HistoryMessage,
  MAX_RESUME_ENTRIES,
  type MessageParams,
  replaceParts,
  type ServerFrame,
  type WelcomeFrame,
} from '../protocol/index.js';

export type MessageStatus =
  /** User message waiting in the outbox for a welcomed connection. */
  | 'pending'
  /** User message sent, not yet acknowledged. */
  | 'sent'
  /** User message acknowledged; assistant message ended (see finishReason). */
  | 'done'
  /** Assistant message still streaming. */
  | 'streaming'
  /** User message the server refused; it can be retried. */
  | 'failed';

/** Assistant: `reasoning`, `tools`, `sources` are held when the session asks for parts (PROTOCOL.md section 16). */
export interface ChatMessage extends AnswerParts {
  /** Stable local key: the client message id for user messages, the server id otherwise. */
  key: string;
  role: 'user' | 'assistant';
  /** Server id, once known. */
  id?: string;
  clientMsgId?: string;
  /** Assistant: the id of the user message it answers. */
  replyTo?: string;
  text: string;
  /** Assistant: seq of the last delta applied. */
  seq: number;
  status: MessageStatus;
  finishReason?: FinishReason;
  /** Why a send failed, or what went wrong with an answer. */
  error?: string;
  /** User: acknowledged, waiting for earlier answers to finish. */
  queued?: boolean;
  /** User: model parameters sent with the message. */
  params?: MessageParams;
  /** Assistant: the reader's verdict, as the server recorded it (or as just given). */
  feedback?: FeedbackValue;
  /** Assistant: when its reasoning began streaming here (epoch ms), and how long it lasted until the text. */
  thinkingSince?: number;
  thoughtMs?: number;
}

/** What applying a frame changed, so the view knows how much to redraw. */
export type Change =
  | { kind: 'none' }
  /** Messages were added, removed or changed status. */
  | { kind: 'structure' }
  /**
   * Only the text (or the reasoning) of one message changed; `appended`: the
   * text added at its end, when that is all that changed; `thought`: the reasoning added.
   */
  | { kind: 'text'; message: ChatMessage; appended?: string; thought?: string }
  /** Frames are missing: reconnect, and the resume fills the gap exactly. */
  | { kind: 'gap'; message: ChatMessage };

/** How a welcome relates to what the widget held. */
export type WelcomeOutcome = 'new' | 'resumed' | 'lost';

export class ChatState {
  messages: ChatMessage[] = [];
  conversationId: string | undefined;
  /** The server holds older messages than the oldest we hold, and gives them a page at a time. */
  olderOnServer = false;

  constructor(conversationId?: string) {
    this.conversationId = conversationId;
  }

  #byId(id: string): ChatMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Queues a user message; it stays pending until the outbox sends it. */
  addUserMessage(text: string, clientMsgId: string, params?: MessageParams): ChatMessage {
    const message: ChatMessage = {
      key: clientMsgId,
      role: 'user',
      clientMsgId,
      text,
      seq: 0,
      status: 'pending',
    };
    if (params && Object.keys(params).length > 0) message.params = params;
    this.messages.push(message);
    return message;
  }

  pending(): ChatMessage[] {
    return this.messages.filter((m) => m.status === 'pending');
  }

  /** Puts a failed message back in the outbox, with the same client id. */
  retry(key: string): boolean {
    const m = this.messages.find((x) => x.key === key);
    if (m?.status !== 'failed') return false;
    m.status = 'pending';
    delete m.error;
    return true;
  }

  /** The answer currently streaming, if any. */
  streamingAnswer(): ChatMessage | undefined {
    return this.messages.findLast((m) => m.role === 'assistant' && m.status === 'streaming');
  }

  /** The user message an answer replies to. */
  questionOf(answer: ChatMessage): ChatMessage | undefined {
    return answer.replyTo === undefined ? undefined : this.#byId(answer.replyTo);
  }

  /**
   * What `hello.resume` lists, and how far we hold each: first the answers
   * we were receiving (the replay completes them exactly), then the newest
   * ended ones (so the welcome leaves their text out instead of sending it
   * again), up to the MAX_RESUME_ENTRIES the server honours.
   */
  resumePoints(): { messageId: string; lastSeq: number }[] {
    const answers = this.messages.filter((m) => m.role === 'assistant' && m.id !== undefined).reverse();
    const streaming = answers.filter((m) => m.status === 'streaming');
    const ended = answers.filter((m) => m.status !== 'streaming');
    return [...streaming, ...ended]
      .slice(0, MAX_RESUME_ENTRIES)
      .map((m) => ({ messageId: m.id as string, lastSeq: m.seq }));
  }

  /** Forgets everything, for a new conversation. */
  clear(): void {
    this.messages = [];
    this.conversationId = undefined;
    this.olderOnServer = false;
  }

  /**
   * Takes the server's view of the conversation. Answers we resumed keep our
   * text (the replay that follows adds exactly what is missing); others take
   * the server's text unless ours is already as far. User messages the
   * server has not confirmed (the outbox) stay at the end.
   *
   * 'lost' means the server no longer has our conversation (it restarted
   * with an in-memory store, or the conversation expired; it answers with
   * another id, or with a history missing messages it had confirmed): we keep what we
   * show, mark answers that were streaming as interrupted, and unconfirmed
   * messages go out again in the new conversation.
   */
  applyWelcome(welcome: WelcomeFrame): WelcomeOutcome {
    const requested = this.conversationId;
    this.conversationId = welcome.conversationId;
    // The history is the conversation but for `omitted` older messages, so a message the server
    // confirmed and no longer lists (and that is not older than all it lists) means it lost the
    // conversation, even when it kept the id (a session token names it).
    const known = new Set(welcome.history.map((h) => h.id));
    const older = (welcome.omitted ?? 0) > 0 ? this.#olderThan(known) : [];
    const forgotten = this.messages.some((m) => m.id !== undefined && !known.has(m.id) && !older.includes(m));
    // The server pages what it left out that we do not hold (PROTOCOL.md section 17).
    this.olderOnServer = welcome.historyPages === true && (welcome.omitted ?? 0) > older.length;
    if (requested !== undefined && (requested !== welcome.conversationId || forgotten)) {
      this.olderOnServer = false;
      for (const m of this.messages) {
        if (m.status === 'streaming') this.#finish(m, 'interrupted');
        if (m.status === 'sent') m.status = 'pending';
        m.queued = false;
      }
      return 'lost';
    }
    const merged = welcome.history.map((h) => {
      const known = this.messages.find(
        (m) => m.id === h.id || (h.clientMsgId !== undefined && m.clientMsgId === h.clientMsgId),
      );
      return this.#fromHistory(h, known, welcome.active.includes(h.id));
    });
    const mergedKeys = new Set(merged.map((m) => m.key));
    const unconfirmed = this.messages.filter(
      (m) => !mergedKeys.has(m.key) && m.role === 'user' && m.status !== 'done',
    );
    for (const m of unconfirmed) if (m.status === 'sent') m.status = 'pending';
    this.messages = [...older, ...merged, ...unconfirmed];
    return requested === undefined ? 'new' : 'resumed';
  }

  /** Our confirmed messages before the oldest one the server lists: history it left out, kept as we show it. */
  #olderThan(listed: ReadonlySet<string>): ChatMessage[] {
    const first = this.messages.findIndex((m) => m.id !== undefined && listed.has(m.id));
    return this.messages.slice(0, first < 0 ? this.messages.length : first).filter((m) => m.id !== undefined);
  }

  #fromHistory(h: HistoryMessage, known: ChatMessage | undefined, active: boolean): ChatMessage {
    const message: ChatMessage = known ?? {
      key: h.role === 'user' ? (h.clientMsgId ?? h.id) : h.id,
      role: h.role,
      text: '',
      seq: 0,
      status: 'done',
    };
    message.id = h.id;
    if (h.clientMsgId !== undefined) message.clientMsgId = h.clientMsgId;
    if (h.replyTo !== undefined) message.replyTo = h.replyTo;
    if (h.role === 'user') {
      if (h.text !== undefined) message.text = h.text;
      message.status = 'done';
      message.queued = false;
      return message;
    }
    this.setFeedback(message, h.feedback ?? null);
    const seq = h.seq ?? 0;
    if (h.text === undefined) {
      // Resumed: the replay after the welcome brings the rest, then `done` if it ended.
      if (message.status !== 'done') message.status = 'streaming';
      // We hold more than the server has (it lost deltas it had sent): its snapshot, at a lower
      // seq, comes next and must replace our text, so we stop counting what it does not have.
      if (seq < message.seq) message.seq = 0;
      return message;
    }
    if (message.seq !== seq || message.text.length !== h.text.length) {
      message.text = h.text;
      message.seq = seq;
    }
    replaceParts(message, h);
    if (active) {
      message.status = 'streaming';
    } else {
      // An ended answer without a finish reason was lost with the node generating it.
      this.#finish(message, h.finishReason ?? 'interrupted');
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
        m.queued = (frame.queuePosition ?? 0) > 0;
        return { kind: 'structure' };
      }
      case 'user':
        return this.#applyUser(frame);
      case 'start': {
        const question = this.#byId(frame.replyTo);
        if (question) question.queued = false;
        if (this.#byId(frame.messageId)) return { kind: 'structure' };
        this.messages.push({
          key: frame.messageId,
          role: 'assistant',
          id: frame.messageId,
          replyTo: frame.replyTo,
          text: '',
          seq: 0,
          status: 'streaming',
        });
        return { kind: 'structure' };
      }
      case 'delta': {
        const m = this.#byId(frame.messageId);
        if (m?.status !== 'streaming') return { kind: 'none' };
        if (frame.seq <= m.seq) return { kind: 'none' }; // a duplicate: already applied
        // A merged delta covers fromSeq..seq; it applies only right after what we hold.
        if ((frame.fromSeq ?? frame.seq) !== m.seq + 1) return { kind: 'gap', message: m };
        m.text += frame.text;
        m.seq = frame.seq;
        applyParts(m, frame);
        const now = Date.now();
        if (frame.reasoning !== undefined && m.text === '') m.thinkingSince ??= now;
        if (frame.text !== '' && m.thinkingSince !== undefined) m.thoughtMs ??= now - m.thinkingSince;
        // A step or a source changes the answer's markup; text and reasoning only feed their streams.
        if (frame.tool || frame.source) return { kind: 'structure' };
        return { kind: 'text', message: m, appended: frame.text, thought: frame.reasoning };
      }
      case 'snapshot': {
        const m = this.#byId(frame.messageId);
        if (!m || frame.seq < m.seq) return { kind: 'none' };
        if (frame.seq === m.seq && frame.text === m.text) return { kind: 'none' };
        m.text = frame.text;
        m.seq = frame.seq;
        replaceParts(m, frame);
        return { kind: 'text', message: m };
      }
      case 'done': {
        const m = this.#byId(frame.messageId);
        if (!m || m.status === 'done') return { kind: 'none' };
        if (frame.seq > m.seq) return { kind: 'gap', message: m };
        this.#finish(m, frame.finishReason);
        return { kind: 'structure' };
      }
      case 'error':
        return this.#applyError(frame);
      case 'history': {
        // The messages just older than the oldest we hold; a page for another oldest is stale.
        if (frame.before !== this.messages[0]?.id) return { kind: 'none' };
        this.olderOnServer = frame.more;
        this.messages.unshift(...frame.messages.map((h) => this.#fromHistory(h, undefined, false)));
        return { kind: 'structure' };
      }
      case 'feedback': {
        const m = this.#byId(frame.messageId);
        return m?.role === 'assistant' && this.setFeedback(m, frame.value)
          ? { kind: 'structure' }
          : { kind: 'none' };
      }
      default:
        return { kind: 'none' };
    }
  }

  /**
   * A user message added to the conversation: ours (acknowledged by it, as by
   * an `ack`), or sent from another tab or device, shown where the server
   * has it: before its answer if that started already, else before what we
   * have not sent yet.
   */
  #applyUser(frame: Extract<ServerFrame, { type: 'user' }>): Change {
    const own = this.messages.find((m) => m.clientMsgId === frame.clientMsgId);
    if (own) {
      if (own.id !== undefined) return { kind: 'none' };
      own.id = frame.messageId;
      own.status = 'done';
      own.queued = (frame.queuePosition ?? 0) > 0;
      return { kind: 'structure' };
    }
    if (this.#byId(frame.messageId)) return { kind: 'none' };
    const message: ChatMessage = {
      key: frame.clientMsgId,
      role: 'user',
      id: frame.messageId,
      clientMsgId: frame.clientMsgId,
      text: frame.text,
      seq: 0,
      status: 'done',
      queued: (frame.queuePosition ?? 0) > 0,
    };
    let at = this.messages.findIndex((m) => m.replyTo === frame.messageId);
    if (at < 0) at = this.messages.findIndex((m) => m.role === 'user' && m.id === undefined);
    if (at < 0) at = this.messages.length;
    this.messages.splice(at, 0, message);
    return { kind: 'structure' };
  }

  #applyError(frame: Extract<ServerFrame, { type: 'error' }>): Change {
    if (frame.clientMsgId !== undefined) {
      const m = this.messages.find((x) => x.clientMsgId === frame.clientMsgId);
      if (!m || m.status === 'done') return { kind: 'none' };
      m.status = 'failed';
      m.error = frame.message;
      return { kind: 'structure' };
    }
    if (frame.messageId !== undefined) {
      const m = this.#byId(frame.messageId);
      if (!m) return { kind: 'none' };
      m.error = frame.message;
      // The server cannot resume an answer it does not have: what we show is all there is.
      if (frame.code === 'unknown_message' && m.status === 'streaming') this.#finish(m, 'interrupted');
      return { kind: 'structure' };
    }
    return { kind: 'none' };
  }

  /** Sets (or, with null, clears) an answer's verdict; whether it changed. */
  setFeedback(m: ChatMessage, value: FeedbackValue | null): boolean {
    if ((m.feedback ?? null) === value) return false;
    if (value) m.feedback = value;
    else delete m.feedback;
    return true;
  }

  #finish(m: ChatMessage, reason: FinishReason): void {
    m.status = 'done';
    m.finishReason = reason;
  }
}
