import {
  ErrorCode,
  type FeedbackValue,
  type FinishReason,
  type MessageParams,
  type ServerFrame,
  type Usage,
} from '../../../protocol/index.js';
import { growText, settleText } from '../../conversation/answer-text.js';
import { type FollowUpPolicy, INTERRUPTED } from '../../conversation/conversation.js';
import { DeltaWindow } from '../../conversation/delta-window.js';
import { newId } from '../../conversation/ids.js';
import {
  type HistoryPage,
  historyOf,
  type MessageRecord,
  type MessageWithLog,
  pageOf,
  type Replay,
  replayOf,
  type WelcomeHistory,
} from '../../conversation/message-frames.js';
import {
  applyDelta,
  bodyOf,
  copyContent,
  type DeltaBody,
  deltaFrame,
  partsOf,
} from '../../conversation/message-parts.js';
import { ReplayLog } from '../../conversation/replay-log.js';
import { streamChunks } from '../../sources/stream-chunks.js';
import type { ChatSource, SourceMessage } from '../../sources/types.js';
import {
  type ChatConversation,
  type FeedbackResult,
  type FrameListener,
  QueueFull,
  type ResumeRequest,
  type SubmitResult,
} from '../conversation-store.js';
import type {
  ConversationEvent,
  DeltaEvent,
  FollowNotice,
  QueuedTurnRecord,
  RedisStore,
  StreamEntry,
} from './redis-store.js';

/** A followed answer with no delta for this long has its stream read (a lost publish, an end without one). */
const FOLLOW_CHECK_MS = 1000;

/** An answer this node follows: its mirror, and whether a stream read is under way or asked for. */
interface Following {
  m: MessageWithLog;
  reading: boolean;
  readAgain: boolean;
  /** Its stream lost deltas: nothing more is relayed until the end, which carries the whole text. */
  broken: boolean;
  /** Deltas published while a read was under way. */
  held: Extract<DeltaEvent, { t: 'd' }>[];
  progressedAt: number;
  check: NodeJS.Timeout;
}

/** How often, and how many times, an answer's end is retried while Redis is away (about 10 minutes). */
const FINISH_RETRY_MS = 1000;
const FINISH_RETRY_LIMIT = 600;

export interface RedisConversationOptions {
  source: ChatSource;
  followUp: FollowUpPolicy;
  replayMaxChars: number;
  /** Text produced within this many ms of the last delta joins the next one (see DeltaWindow). */
  deltaWindowMs: number;
  /** Characters of message text a welcome carries at most; older history is left out of it. */
  welcomeHistoryChars: number;
  /** Most messages that may wait behind the answer being generated (on any node); undefined: no bound. */
  maxQueuedPerConversation?: number;
}

/**
 * One conversation on one node of a multi-node deployment. Redis holds the
 * truth; this object mirrors it for the node's connections: it loads the
 * history, generates answers while it holds the conversation's lease, and
 * follows answers generated on other nodes (their published deltas, checked
 * against their Redis streams: see `follow`), emitting the same frames a
 * single-process `Conversation` would. Every change to the mirror and the
 * frame announcing it happen in one tick, so `history`/`replay` plus the
 * subscription stay exact, as in memory.
 */
export class RedisConversation implements ChatConversation {
  readonly messages: MessageWithLog[] = [];
  lastActivity = Date.now();
  private readonly listeners = new Set<FrameListener>();
  private current: { message: MessageWithLog; abort: AbortController } | undefined;
  /** The answer being generated here, from before its start is stored, and whether another node follows it. */
  private generating: { id: string; followed: boolean } | undefined;
  private pumping = false;
  /** Answers generated on other nodes that this node relays, by message id. */
  private readonly followers = new Map<string, Following>();
  /** Subscribing to the delta channel (while anything is followed), and how to stop. */
  private deltaChannel: Promise<void> | undefined;
  private unlistenDeltas: (() => void) | undefined;
  private unresubscribe: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private unlisten: (() => void) | undefined;
  private disposed = false;
  /** Messages Redis trimmed from the front of the conversation. */
  private trimmed = 0;

  private constructor(
    readonly id: string,
    private readonly store: RedisStore,
    private readonly options: RedisConversationOptions,
  ) {}

  static async open(
    id: string,
    store: RedisStore,
    options: RedisConversationOptions,
  ): Promise<RedisConversation> {
    const c = new RedisConversation(id, store, options);
    // Listen first, then load: an event racing the load is applied idempotently.
    c.unlisten = await store.listen(id, (event) => c.onEvent(event));
    // Deltas published while the subscriber reconnected are lost: read what was missed from the streams.
    c.unresubscribe = store.onResubscribe(() => {
      for (const following of c.followers.values()) {
        c.announceFollow(following);
        void c.catchUp(following);
      }
    });
    try {
      await c.refresh();
    } catch (error) {
      c.dispose();
      throw error;
    }
    return c;
  }

  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** True when this node neither generates nor follows anything here. */
  get idle(): boolean {
    return !this.pumping && this.current === undefined && this.followers.size === 0;
  }

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

  activeMessageIds(): string[] {
    return this.messages.filter((m) => m.role === 'assistant' && !m.finishReason).map((m) => m.id);
  }

  hasMessage(messageId: string): boolean {
    return this.messages.some((m) => m.id === messageId);
  }

  async prepareResume(requests: readonly ResumeRequest[]): Promise<void> {
    await Promise.all(
      requests.map(async ({ messageId, lastSeq }) => {
        const m = this.messages.find((x) => x.id === messageId && x.role === 'assistant');
        if (!m || lastSeq >= m.seq || m.log?.covers(lastSeq)) return;
        const entries = await this.store.range(this.id, messageId, lastSeq);
        const deltas = entries.flatMap((e) => (e.kind === 'delta' ? [{ seq: e.seq, body: e.body }] : []));
        if (!m.log) m.log = new ReplayLog(this.options.replayMaxChars, m, m.seq + 1);
        m.log.prepend(deltas);
      }),
    );
  }

  replay({ messageId, lastSeq }: ResumeRequest): Replay | undefined {
    const m = this.messages.find((x) => x.id === messageId && x.role === 'assistant');
    return m && replayOf(m, lastSeq);
  }

  async submit(clientMsgId: string, text: string, params: MessageParams): Promise<SubmitResult> {
    const known = this.messages.find((m) => m.role === 'user' && m.clientMsgId === clientMsgId);
    if (known) return { message: known, created: false, queuePosition: 0 };
    this.lastActivity = Date.now();
    const user: MessageWithLog & { clientMsgId: string } = {
      id: newId('m'),
      role: 'user',
      text,
      seq: 0,
      clientMsgId,
    };
    const turn: QueuedTurnRecord = { userId: user.id, params };
    const interrupt = this.options.followUp === 'interrupt';
    // The script also announced it to every node (this one may have taken that event first).
    const stored = await this.store.appendUser(
      this.id,
      user,
      turn,
      interrupt,
      this.options.maxQueuedPerConversation,
    );
    if ('busy' in stored) throw new QueueFull(stored.waiting);
    if (!stored.created) {
      // Stored already: by this very call, when a cut lost the reply and the script ran again. Its turn
      // is queued either way; taking it is the lease holder's work, which may be this node's.
      void this.pump();
      return { message: { id: stored.id }, created: false, queuePosition: 0 };
    }
    const active = this.activeMessageIds();
    const queuePosition = stored.queueLength - 1 + (active.length > 0 && !interrupt ? 1 : 0);
    this.addUser(user, queuePosition);
    if (interrupt) for (const id of active) this.cancel(id);
    void this.pump();
    return { message: user, created: true, queuePosition };
  }

  async setFeedback(messageId: string, value: FeedbackValue | null): Promise<FeedbackResult> {
    const stored = await this.store.setFeedback(this.id, messageId, value);
    if (stored.outcome !== 'recorded') return stored;
    this.lastActivity = Date.now();
    // The mirror takes the verdict from the event Redis published, like other nodes' verdicts, not
    // from this reply: the reply and another node's later event come on two connections, so the
    // reply can arrive after the event and would bring back the older verdict.
    const mirrored = this.messages.find((m) => m.id === messageId);
    const answer = mirrored ?? stored.answer;
    const question = this.messages.find((m) => m.id === answer.replyTo);
    return { outcome: 'recorded', answer, question, changed: stored.changed };
  }

  /**
   * Mirrors a verdict and tells the listeners, when it changes. Only the
   * events Redis published (every node's, this one's too, in the order Redis
   * applied them) change it: a `refresh` or a script's reply racing them
   * could bring back an older one.
   */
  private applyFeedback(m: MessageWithLog, value: FeedbackValue | null): void {
    if ((m.feedback ?? null) === value) return;
    if (value) m.feedback = value;
    else delete m.feedback;
    this.emit({ type: 'feedback', messageId: m.id, value });
  }

  /** Mirrors a user message and tells the listeners (every tab on the conversation), once. */
  private addUser(user: MessageWithLog & { clientMsgId: string }, queuePosition?: number): void {
    if (this.hasMessage(user.id)) return;
    this.messages.push(user);
    this.emit({
      type: 'user',
      messageId: user.id,
      clientMsgId: user.clientMsgId,
      text: user.text,
      ...(queuePosition === undefined ? {} : { queuePosition }),
    });
  }

  /**
   * Stops an answer, named by its id or by its question's: a question still
   * queued leaves the queue and gets an answer ended `cancelled` at once.
   */
  cancel(messageId: string): boolean {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) return false;
    if (m.role === 'user') {
      const answer = this.messages.find((x) => x.role === 'assistant' && x.replyTo === messageId);
      if (answer) return this.cancel(answer.id);
      this.lastActivity = Date.now();
      this.cancelQueued(messageId);
      return true;
    }
    if (m.finishReason) return false;
    this.lastActivity = Date.now();
    if (this.current?.message.id === messageId) this.current.abort.abort();
    else this.store.publish(this.id, { t: 'cancel', id: messageId }).catch(() => {});
    return true;
  }

  private cancelQueued(userId: string): void {
    const answer: MessageRecord = {
      id: newId('m'),
      role: 'assistant',
      text: '',
      seq: 0,
      replyTo: userId,
      finishReason: 'cancelled',
      usage: null,
    };
    this.store.cancelQueued(this.id, userId, answer).then(
      (result) => {
        if (this.disposed) return;
        if (result.removed) {
          if (this.hasMessage(answer.id)) return;
          this.messages.push({ ...answer });
          this.emit({ type: 'start', messageId: answer.id, replyTo: userId });
          this.emit({ type: 'done', messageId: answer.id, seq: 0, finishReason: 'cancelled', usage: null });
        } else if (result.generating) {
          // It left the queue and started meanwhile: stop it wherever it runs.
          if (this.current?.message.id === result.generating) this.current.abort.abort();
          else this.store.publish(this.id, { t: 'cancel', id: result.generating }).catch(() => {});
        }
      },
      () => {},
    );
  }

  /** Re-reads the history from Redis and takes in what other nodes added or ended. */
  async refresh(): Promise<void> {
    const { records, trimmed } = await this.store.loadHistory(this.id);
    if (this.disposed) return;
    this.forgetTrimmed(records, trimmed);
    for (const [index, r] of records.entries()) {
      const m = this.messages.find((x) => x.id === r.id);
      if (!m) {
        const added: MessageWithLog = { ...r };
        this.messages.splice(Math.min(index, this.messages.length), 0, added);
        if (r.role === 'user' && r.clientMsgId !== undefined) {
          // Found here before its event arrived: the event will find it mirrored, so announce it now.
          this.emit({ type: 'user', messageId: r.id, clientMsgId: r.clientMsgId, text: r.text });
        }
        if (r.role === 'assistant' && !r.finishReason) {
          if (r.replyTo) this.emit({ type: 'start', messageId: r.id, replyTo: r.replyTo });
          this.follow(added);
        }
        continue;
      }
      if (
        m.role === 'assistant' &&
        !m.finishReason &&
        r.finishReason &&
        this.current?.message !== m &&
        !this.followers.has(m.id)
      ) {
        this.end(m, r.finishReason, r.usage ?? null, r);
      } else if (
        m.role === 'assistant' &&
        !m.finishReason &&
        this.current?.message !== m &&
        !this.followers.has(m.id)
      ) {
        this.follow(m);
      }
    }
  }

  /** Drops from the mirror the settled messages Redis trimmed, so the mirror stays as bounded as the store. */
  private forgetTrimmed(records: readonly MessageRecord[], trimmed: number): void {
    if (trimmed === this.trimmed) return;
    this.trimmed = trimmed;
    const kept = new Set(records.map((r) => r.id));
    const first = this.messages.findIndex(
      (m) => kept.has(m.id) || (m.role === 'assistant' && !m.finishReason),
    );
    this.messages.splice(0, first < 0 ? this.messages.length : first);
  }

  private onEvent(event: ConversationEvent): void {
    if (this.disposed) return;
    if (event.t === 'cancel') {
      if (this.current?.message.id === event.id) this.current.abort.abort();
      return;
    }
    if (event.t === 'feedback') {
      const m = this.messages.find((x) => x.id === event.id);
      // Redis took it for an ended answer: this mirror may learn of the end a moment later.
      if (m) this.applyFeedback(m, event.value || null);
      return;
    }
    if (event.t === 'start') {
      if (event.node === this.store.nodeId || this.hasMessage(event.id)) return;
      const m: MessageWithLog = { id: event.id, role: 'assistant', text: '', seq: 0, replyTo: event.replyTo };
      this.messages.push(m);
      this.emit({ type: 'start', messageId: m.id, replyTo: event.replyTo });
      this.follow(m);
      return;
    }
    const active = this.activeMessageIds().length > 0 && this.options.followUp === 'queue';
    this.addUser(
      { id: event.id, role: 'user', text: event.text, seq: 0, clientMsgId: event.clientMsgId },
      event.queueLength - 1 + (active ? 1 : 0),
    );
  }

  /**
   * Follows an answer generated on another node, from the seq we hold: its
   * deltas come as the generating node publishes them (on the node's one
   * subscriber connection, shared by every answer it follows); the stream is
   * read from our seq when they skip one, when the end is announced, when
   * the subscriber reconnected, and after a second without progress. A delta
   * is applied only as the one after our seq, so each lands exactly once.
   */
  private follow(m: MessageWithLog): void {
    if (this.followers.has(m.id) || this.disposed) return;
    if (!m.log) m.log = new ReplayLog(this.options.replayMaxChars, m, m.seq + 1);
    growText(m);
    const following: Following = {
      m,
      reading: false,
      readAgain: false,
      broken: false,
      held: [],
      progressedAt: Date.now(),
      check: setInterval(() => {
        if (this.deltaChannel === undefined) this.listenDeltas().catch(() => {});
        if (Date.now() - following.progressedAt >= FOLLOW_CHECK_MS) {
          this.announceFollow(following); // it may have been lost
          void this.catchUp(following, true);
        }
      }, FOLLOW_CHECK_MS),
    };
    following.check.unref();
    this.followers.set(m.id, following);
    // Subscribed first, then announced and read: a delta appended after the read is published.
    this.listenDeltas().then(
      () => {
        this.announceFollow(following);
        return this.catchUp(following);
      },
      () => {}, // Redis away: the check reads the stream once it is back.
    );
  }

  /**
   * Tells the generating node that this one follows the answer: it publishes
   * deltas only while followed. A delta it appends before hearing this, and
   * that the read after it missed, shows as a skipped seq at the next one
   * published (or at the end), and the stream is read again.
   */
  private announceFollow(following: Following): void {
    this.store.noticeFollow(this.id, following.m.id).catch(() => {});
  }

  /** Another node follows the answer being generated here: publish its deltas from now on. */
  private onFollowNotice(notice: FollowNotice): void {
    if (this.generating?.id === notice.id) this.generating.followed = true;
  }

  /** Subscribes to the conversation's delta channel while this node follows any answer of it. */
  private listenDeltas(): Promise<void> {
    this.deltaChannel ??= this.store
      .listenDeltas(this.id, (event) => this.onDelta(event))
      .then((unlisten) => {
        if (this.followers.size === 0) {
          unlisten();
          this.deltaChannel = undefined;
        } else this.unlistenDeltas = unlisten;
      })
      .catch((error: unknown) => {
        this.deltaChannel = undefined;
        throw error;
      });
    return this.deltaChannel;
  }

  private onDelta(event: DeltaEvent): void {
    if (this.disposed) return;
    const following = this.followers.get(event.id);
    if (!following) return;
    const { m } = following;
    if (event.t === 'e') {
      void this.catchUp(following); // the end entry is in the stream
      return;
    }
    if (following.broken) return; // waits for the end
    if (following.reading) {
      following.held.push(event); // applied after the read, in order, unless the read had it
      return;
    }
    if (event.s <= m.seq || m.finishReason) return;
    if (event.s === m.seq + 1) this.applyDelta(following, event.s, { text: event.x, ...event.p });
    else void this.catchUp(following); // one was skipped: the stream has it
  }

  private applyDelta(following: Following, seq: number, body: DeltaBody): void {
    const { m } = following;
    m.seq = seq;
    applyDelta(m, body);
    m.log?.append(seq, body);
    following.progressedAt = Date.now();
    this.emit(deltaFrame(m.id, seq, body));
  }

  /**
   * Reads the answer's stream after our seq and applies it, one read at a
   * time (a read asked for meanwhile runs after). `quiet`: nothing came for
   * a while, so also check whether it ended without its end entry.
   */
  private async catchUp(following: Following, quiet = false): Promise<void> {
    if (following.reading) {
      following.readAgain = true;
      return;
    }
    following.reading = true;
    const { m } = following;
    try {
      let entries = await this.store.range(this.id, m.id, m.seq);
      if (entries.length === 0 && quiet) {
        const stored = await this.store.message(this.id, m.id);
        if (stored?.finishReason) {
          // It ended: what reached its stream since the read comes first, with its end entry.
          entries = await this.store.range(this.id, m.id, m.seq);
          // The stream expired with the answer ended (e.g. after a long Redis outage): end as stored.
          if (entries.length === 0 && !m.finishReason) {
            this.end(m, stored.finishReason, stored.usage ?? null, stored);
          }
        }
      }
      for (const entry of entries) {
        if (m.finishReason || this.disposed) break;
        await this.applyEntry(following, entry);
      }
    } catch {
      // Redis away: the check reads again.
    } finally {
      following.reading = false;
    }
    for (const event of following.held.splice(0)) {
      if (m.finishReason || following.broken || event.s <= m.seq) continue;
      if (event.s === m.seq + 1) this.applyDelta(following, event.s, { text: event.x, ...event.p });
      else following.readAgain = true;
    }
    if (m.finishReason || this.disposed) this.unfollow(m.id);
    else if (following.readAgain) {
      following.readAgain = false;
      await this.catchUp(following);
    }
  }

  private async applyEntry(following: Following, entry: StreamEntry): Promise<void> {
    const { m } = following;
    if (entry.kind === 'delta') {
      if (entry.seq <= m.seq || following.broken) return;
      if (entry.seq === m.seq + 1) {
        this.applyDelta(following, entry.seq, entry.body);
        return;
      }
      // Deltas missing from the stream (a Redis failover lost writes it had acknowledged): the text
      // after them is not known here. Relay nothing more; the end carries the whole text (a snapshot).
      following.broken = true;
      return;
    }
    if (following.broken || entry.seq !== m.seq) {
      // The end says more (or less) text than the deltas that reached the stream: end with the stored text.
      const stored = await this.store.message(this.id, m.id);
      this.end(m, entry.finishReason, entry.usage, stored?.finishReason ? stored : undefined);
    } else this.end(m, entry.finishReason, entry.usage);
  }

  private unfollow(messageId: string): void {
    const following = this.followers.get(messageId);
    if (!following) return;
    clearInterval(following.check);
    this.followers.delete(messageId);
    if (this.followers.size === 0 && this.unlistenDeltas) {
      this.unlistenDeltas();
      this.unlistenDeltas = undefined;
      this.deltaChannel = undefined;
    }
  }

  /** Marks an answer ended on this node's mirror and tells the listeners. */
  private end(
    m: MessageWithLog,
    finishReason: FinishReason,
    usage: Usage | null,
    stored?: MessageRecord,
  ): void {
    if (m.finishReason) return;
    settleText(m);
    if (stored && (stored.seq !== m.seq || stored.text !== m.text)) {
      copyContent(m, stored);
      // The kept deltas described the replaced text: a resume now gets the stored answer whole.
      m.log?.clear();
      this.emit({ type: 'snapshot', messageId: m.id, seq: m.seq, text: m.text, ...partsOf(m) });
    }
    m.finishReason = finishReason;
    m.usage = usage;
    this.lastActivity = Date.now();
    this.emit({ type: 'done', messageId: m.id, seq: m.seq, finishReason, usage });
    this.retire(m);
  }

  /** Frees the message's replay log when its stream's retention ends. */
  private retire(m: MessageWithLog): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      m.log?.clear();
    }, this.store.replayRetentionMs);
    timer.unref();
    this.timers.add(timer);
  }

  private emit(frame: ServerFrame): void {
    for (const listener of this.listeners) listener(frame);
  }

  /**
   * Generates queued turns while this node holds the conversation's lease.
   * A node that finds the lease taken leaves its turn in the queue: the
   * holder takes it next.
   */
  private async pump(): Promise<void> {
    if (this.pumping || this.disposed) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!(await this.store.acquireLease(this.id))) return;
        // Before any answer starts: a node that follows one says so here (see announceFollow). Not
        // awaited: generating does not wait for the subscriber connection; a notice that comes before the
        // subscription is lost, and the follower sends it again after a second without a delta.
        const follows = this.store
          .listenFollows(this.id, (notice) => this.onFollowNotice(notice))
          .catch(() => undefined);
        // Renewed with the node's other leases; lost (Redis away past the grace, or taken): what is being
        // generated cannot be kept, and ends interrupted.
        const stopKeeping = this.store.keepLease(
          this.id,
          () => this.current?.message.id,
          () => this.current?.abort.abort(INTERRUPTED),
        );
        try {
          for (;;) {
            if (this.disposed) return;
            const turn = await this.store.popTurn(this.id);
            if (!turn) break;
            await this.generate(turn);
          }
        } finally {
          stopKeeping();
          void follows.then((unlisten) => unlisten?.());
          await this.store.releaseLease(this.id).catch(() => {});
        }
        // A turn queued while we released is ours to take too.
        if ((await this.store.queueLength(this.id)) === 0) return;
      }
    } catch (error) {
      if (this.disposed) return;
      process.stderr.write(
        `ai-stream-chat: generation in ${this.id} stopped: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    } finally {
      this.pumping = false;
      this.lastActivity = Date.now();
    }
  }

  private async generate(turn: QueuedTurnRecord): Promise<void> {
    await this.refresh();
    const userIndex = this.messages.findIndex((m) => m.id === turn.userId);
    const user = this.messages[userIndex];
    if (!user) return;
    const context: SourceMessage[] = [];
    if (turn.params.system) context.push({ role: 'system', content: turn.params.system });
    for (const m of this.messages.slice(0, userIndex + 1)) {
      if (m.text) context.push({ role: m.role, content: m.text });
    }
    const message: MessageWithLog = {
      id: newId('m'),
      role: 'assistant',
      text: '',
      seq: 0,
      replyTo: user.id,
    };
    // Set before the start is stored (and announced): a follower may say so before its reply is read.
    const generating = { id: message.id, followed: false };
    this.generating = generating;
    const started = await this.store.startAnswer(this.id, { ...message, replyTo: user.id });
    if (started === 'lost') return;
    message.log = new ReplayLog(this.options.replayMaxChars, message);
    growText(message);
    this.messages.push(message);
    const abort = new AbortController();
    this.current = { message, abort };
    // The script announced it to the other nodes.
    this.emit({ type: 'start', messageId: message.id, replyTo: user.id });

    let finishReason: FinishReason = 'stop';
    let usage: Usage | null = null;
    let storeError: unknown;
    const deltas = new DeltaWindow(this.options.deltaWindowMs, (part) => {
      const body = bodyOf(part, message);
      message.seq += 1;
      applyDelta(message, body);
      message.log?.append(message.seq, body);
      this.store
        .appendDelta(this.id, message.id, message.seq, body, generating.followed)
        .catch((error: unknown) => {
          storeError ??= error;
          // The answer cannot be stored: the source stops, and the answer ends interrupted.
          abort.abort(INTERRUPTED);
        });
      this.emit(deltaFrame(message.id, message.seq, body));
    });
    // Its question was cancelled while leaving the queue: it ends before asking the model.
    if (started === 'cancelled') finishReason = 'cancelled';
    else {
      try {
        const request = { messages: context, params: turn.params, signal: abort.signal };
        const result = await streamChunks(this.options.source, request, (chunk) => deltas.push(chunk));
        if (abort.signal.aborted || storeError !== undefined) {
          // Only a user's cancel is `cancelled`; losing Redis or the lease is the server's doing.
          finishReason =
            storeError !== undefined || abort.signal.reason === INTERRUPTED ? 'interrupted' : 'cancelled';
        } else {
          finishReason = result.finishReason;
          usage = result.usage;
        }
      } catch (error) {
        deltas.flush();
        if (abort.signal.aborted)
          finishReason = abort.signal.reason === INTERRUPTED ? 'interrupted' : 'cancelled';
        else {
          finishReason = 'error';
          this.emit({
            type: 'error',
            code: ErrorCode.SourceFailed,
            message: `The model failed: ${error instanceof Error ? error.message : String(error)}`,
            retryable: true,
            messageId: message.id,
          });
        }
      }
    }
    // Text the model produced before the end (or the cut) is part of the answer.
    deltas.flush();
    const { log: _log, ...record } = message;
    const ended: MessageRecord = { ...record, finishReason, usage };
    let stored: MessageRecord | undefined;
    let written = false;
    try {
      written = await this.store.finish(this.id, ended);
      // Not ours to end any more: another node declared us dead and ended it first.
      if (!written) stored = await this.store.message(this.id, message.id);
    } catch {
      // Redis is away: end it here now, and write the end once Redis is back.
      this.finishLater(ended);
    }
    this.current = undefined;
    this.generating = undefined;
    if (stored?.finishReason) this.end(message, stored.finishReason, stored.usage ?? null, stored);
    else this.end(message, finishReason, usage);
  }

  /**
   * Writes an answer's end (its whole text) once Redis answers again, so other
   * nodes and later welcomes see what this node's clients saw; gives up when
   * another node ended it first, or after FINISH_RETRY_LIMIT tries.
   */
  private finishLater(record: MessageRecord, attempt = 1): void {
    if (this.disposed || attempt > FINISH_RETRY_LIMIT) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.store.finish(this.id, record).catch(() => this.finishLater(record, attempt + 1));
    }, FINISH_RETRY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /** Generates turns left in the queue (by a node that died). */
  resumeQueue(): void {
    void this.pump();
  }

  dispose(): void {
    this.disposed = true;
    this.current?.abort.abort(INTERRUPTED);
    for (const id of [...this.followers.keys()]) this.unfollow(id);
    this.unlistenDeltas?.();
    this.unresubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
    this.unlisten?.();
  }
}
