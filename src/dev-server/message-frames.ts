/**
 * How stored messages become protocol frames, shared by every store: the
 * history of a `welcome`, and the replay that brings a resuming client up to
 * date (PROTOCOL.md section 5).
 */
import type { FinishReason, HistoryMessage, ServerFrame, Usage } from '../protocol/index.js';

/** What a store keeps of a message, as far as frames need it. */
export interface MessageRecord {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  seq: number;
  clientMsgId?: string;
  replyTo?: string;
  finishReason?: FinishReason;
  usage?: Usage | null;
  /** Recent deltas; undefined from `after` when some are no longer kept. */
  log?: { after(lastSeq: number, upToSeq: number): { seq: number; text: string }[] | undefined };
}

/** A welcome's history. Messages in `omitText` (being resumed) come without text. */
export function historyOf(
  messages: readonly MessageRecord[],
  omitText: ReadonlySet<string>,
): HistoryMessage[] {
  return messages.map((m) => ({
    id: m.id,
    role: m.role,
    ...(omitText.has(m.id) ? {} : { text: m.text }),
    ...(m.role === 'assistant' ? { seq: m.seq } : {}),
    ...(m.finishReason ? { finishReason: m.finishReason } : {}),
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
  }));
}

/**
 * The frames that bring a client holding `lastSeq` of answer `m` up to date:
 * exactly the missing deltas when they are all still kept, else one snapshot
 * of the whole text (never a partial replay); then `done` if it has ended.
 */
export function replayFrames(m: MessageRecord, lastSeq: number): ServerFrame[] {
  const frames: ServerFrame[] = [];
  const deltas = m.log?.after(lastSeq, m.seq);
  if (deltas) {
    for (const d of deltas) frames.push({ type: 'delta', messageId: m.id, seq: d.seq, text: d.text });
  } else {
    frames.push({ type: 'snapshot', messageId: m.id, seq: m.seq, text: m.text });
  }
  if (m.finishReason) {
    frames.push({
      type: 'done',
      messageId: m.id,
      seq: m.seq,
      finishReason: m.finishReason,
      usage: m.usage ?? null,
    });
  }
  return frames;
}
