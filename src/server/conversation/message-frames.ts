/**
 * How stored messages become protocol frames, shared by every store: the
 * history of a `welcome`, and the replay that brings a resuming client up to
 * date (PROTOCOL.md section 5).
 */
import type {
  FeedbackValue,
  FinishReason,
  HistoryMessage,
  ServerFrame,
  Usage,
} from '../../protocol/index.js';
import { deltaFrame, type MessageParts, partsOf } from './message-parts.js';
import type { ReplayLog } from './replay-log.js';

/** A message as every store keeps it: what a welcome's history and generation need. */
export interface MessageRecord extends MessageParts {
  id: string;
  role: 'user' | 'assistant';
  /**
   * User: the text. Assistant: the text so far, the whole text once ended
   * (Redis writes it at the end: while streaming it lives in the stream).
   */
  text: string;
  /** Assistant: number of deltas so far (the seq of the last one). */
  seq: number;
  clientMsgId?: string;
  replyTo?: string;
  /** Assistant: set once the answer has ended. */
  finishReason?: FinishReason;
  usage?: Usage | null;
  /** Assistant, once ended: a reader's verdict (absent: none, or taken back). */
  feedback?: FeedbackValue;
}

/** A message held in a conversation's memory: the record and, for an answer, its recent deltas. */
export interface MessageWithLog extends MessageRecord {
  /** Assistant: recent deltas, for exact replay on resume. */
  log?: ReplayLog;
}

/** A welcome's history: the newest messages that fit its budget, and how many older ones it leaves out. */
export interface WelcomeHistory {
  history: HistoryMessage[];
  /** Older messages not in `history`: trimmed from the store, or over the welcome's budget. */
  omitted: number;
}

/**
 * A welcome's history. Messages in `omitText` (being resumed) come without
 * text. Walking back from the newest, messages are taken while their texts
 * fit in `maxChars`; an unfinished answer and the messages after it are
 * always taken, so a resume never loses its place. `trimmed` counts older
 * messages the store no longer holds.
 */
export function historyOf(
  messages: readonly MessageRecord[],
  omitText: ReadonlySet<string>,
  { maxChars = Number.POSITIVE_INFINITY, trimmed = 0 }: { maxChars?: number; trimmed?: number } = {},
): WelcomeHistory {
  let first = messages.length;
  let chars = 0;
  let mustReach = messages.findIndex((m) => m.role === 'assistant' && !m.finishReason);
  if (mustReach < 0) mustReach = messages.length;
  while (first > 0) {
    const m = messages[first - 1] as MessageRecord;
    const size = omitText.has(m.id) ? 0 : m.text.length + (m.reasoning?.length ?? 0);
    if (first - 1 < mustReach && chars + size > maxChars && first < messages.length) break;
    chars += size;
    first--;
  }
  const history = messages.slice(first).map((m) => historyEntry(m, !omitText.has(m.id)));
  return { history, omitted: trimmed + first };
}

/** A message as a history entry (PROTOCOL.md section 4.2), with its text or without. */
function historyEntry(m: MessageRecord, withText: boolean): HistoryMessage {
  return {
    id: m.id,
    role: m.role,
    ...(withText ? { text: m.text, ...partsOf(m) } : {}),
    ...(m.role === 'assistant' ? { seq: m.seq } : {}),
    ...(m.finishReason ? { finishReason: m.finishReason } : {}),
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
    ...(m.feedback ? { feedback: m.feedback } : {}),
  };
}

/** A page of older history (PROTOCOL.md section 17): messages oldest first, and whether older ones are kept. */
export interface HistoryPage {
  messages: HistoryMessage[];
  more: boolean;
}

/**
 * The page of history before the message `before`: walking back from it, at
 * most `limit` messages, taken while their texts fit in `maxChars` (always
 * one at least, so a reader can page through any history). Undefined when
 * the conversation does not have `before`.
 */
export function pageOf(
  messages: readonly MessageRecord[],
  before: string,
  { limit, maxChars }: { limit: number; maxChars: number },
): HistoryPage | undefined {
  const end = messages.findIndex((m) => m.id === before);
  if (end < 0) return undefined;
  let first = end;
  let chars = 0;
  while (first > 0 && end - first < limit) {
    const size = (messages[first - 1] as MessageRecord).text.length;
    if (chars + size > maxChars && first < end) break;
    chars += size;
    first--;
  }
  return { messages: messages.slice(first, end).map((m) => historyEntry(m, true)), more: first > 0 };
}

/** How a resume is served: the missing deltas, or one snapshot (PROTOCOL.md section 5). */
export interface Replay {
  kind: 'deltas' | 'snapshot';
  /**
   * The frames, built one by one as they are read: the state they describe is
   * taken when `replayOf` is called (so it joins the live frames after it
   * exactly), but no frame exists before the socket has room for it.
   */
  frames: Iterable<ServerFrame>;
}

/**
 * The frames that bring a client holding `lastSeq` of answer `m` up to date:
 * exactly the missing deltas when they are all still kept, else one snapshot
 * of the whole text (never a partial replay); then `done` if it has ended.
 */
export function replayOf(m: MessageWithLog, lastSeq: number): Replay {
  const { id: messageId, seq, text } = m;
  const parts = partsOf(m);
  const deltas = m.log?.after(lastSeq, seq);
  const done: ServerFrame | undefined = m.finishReason
    ? { type: 'done', messageId, seq, finishReason: m.finishReason, usage: m.usage ?? null }
    : undefined;
  function* frames(): Generator<ServerFrame> {
    if (deltas) for (const d of deltas) yield deltaFrame(messageId, d.seq, d.body);
    else yield { type: 'snapshot', messageId, seq, text, ...parts };
    if (done) yield done;
  }
  return { kind: deltas ? 'deltas' : 'snapshot', frames: { [Symbol.iterator]: frames } };
}
