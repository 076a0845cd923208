/**
 * The parts of an answer (PROTOCOL.md section 16): what one delta adds to a
 * message, how a message's parts travel in a snapshot or a history entry,
 * and the version-1 view of every frame for a client that did not ask for
 * parts. One delta carries one part; every part shares the message's `seq`.
 */
import {
  type AnswerParts,
  applyParts,
  type DeltaFrame,
  type HistoryMessage,
  replaceParts,
  type ServerFrame,
  type SnapshotFrame,
  type SourceRef,
  type ToolStep,
} from '../../protocol/index.js';
import type { SourcePart } from '../sources/types.js';
import { appendText } from './answer-text.js';

/** What one delta adds: answer text (possibly empty), and at most one other part. */
export interface DeltaBody {
  text: string;
  reasoning?: string;
  tool?: ToolStep;
  source?: SourceRef;
}

/** A message's parts beside its text; each absent while empty. */
export type MessageParts = AnswerParts;

/** The delta a source's part makes for message `m`: its sources are numbered from 1 in order. */
export function bodyOf(part: SourcePart, m: MessageParts): DeltaBody {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'reasoning':
      return { text: '', reasoning: part.text };
    case 'tool': {
      const { type: _type, ...tool } = part;
      return { text: '', tool };
    }
    case 'source': {
      const { type: _type, ...source } = part;
      return { text: '', source: { n: (m.sources?.length ?? 0) + 1, ...source } };
    }
  }
}

/** Whether a delta carries a part beside its answer text (reasoning, a tool step, a source). */
export function carriesPart(body: Omit<DeltaBody, 'text'>): boolean {
  return body.reasoning !== undefined || body.tool !== undefined || body.source !== undefined;
}

/** Adds delta `body` to message `m` (text, reasoning, tool step by id, source). */
export function applyDelta(m: { text: string } & MessageParts, body: DeltaBody): void {
  appendText(m, body.text);
  applyParts(m, body);
}

/** Characters a delta holds in a replay log (reasoning counts as text does; a step or source as its JSON). */
export function bodySize(body: DeltaBody): number {
  let size = body.text.length + (body.reasoning?.length ?? 0);
  if (body.tool !== undefined) size += JSON.stringify(body.tool).length;
  if (body.source !== undefined) size += JSON.stringify(body.source).length;
  return size;
}

/** The parts of `m` as a snapshot or history entry carries them: only those it has. */
export function partsOf(m: MessageParts): MessageParts {
  return {
    ...(m.reasoning ? { reasoning: m.reasoning } : {}),
    ...(m.tools?.length ? { tools: m.tools.map((t) => ({ ...t })) } : {}),
    ...(m.sources?.length ? { sources: m.sources.map((s) => ({ ...s })) } : {}),
  };
}

/** Copies `from`'s text, seq and parts onto `m` (a store's copy replacing a mirror's). */
export function copyContent(
  m: { text: string; seq: number } & MessageParts,
  from: { text: string; seq: number } & MessageParts,
): void {
  m.text = from.text;
  m.seq = from.seq;
  replaceParts(m, from);
}

/** A delta frame carrying `body`. */
export function deltaFrame(messageId: string, seq: number, body: DeltaBody): DeltaFrame {
  // Built field by field, not spread: one frame per delta per answer, and a spread takes V8's slow path.
  const frame: DeltaFrame = { type: 'delta', messageId, seq, text: body.text };
  if (body.reasoning !== undefined) frame.reasoning = body.reasoning;
  if (body.tool !== undefined) frame.tool = body.tool;
  if (body.source !== undefined) frame.source = body.source;
  return frame;
}

/**
 * A frame as a client that did not ask for parts sees it: a delta keeps its
 * seq and answer text (empty for a delta of another part), so the sequence
 * has no gap and the answer text no reasoning; snapshots and the entries of a
 * history page carry the text alone (the welcome's history: historyWithoutParts).
 */
export function withoutParts(frame: ServerFrame): ServerFrame {
  if (frame.type === 'delta') {
    if (!carriesPart(frame)) return frame;
    const { reasoning: _r, tool: _t, source: _s, ...rest } = frame;
    return rest;
  }
  if (frame.type === 'snapshot') return snapshotText(frame);
  if (frame.type === 'history') return { ...frame, messages: frame.messages.map(historyWithoutParts) };
  return frame;
}

function snapshotText(frame: SnapshotFrame): SnapshotFrame {
  if (frame.reasoning === undefined && frame.tools === undefined && frame.sources === undefined) return frame;
  const { reasoning: _r, tools: _t, sources: _s, ...rest } = frame;
  return rest;
}

/** A history entry without its parts, for a client that did not ask for them. */
export function historyWithoutParts(entry: HistoryMessage): HistoryMessage {
  if (entry.reasoning === undefined && entry.tools === undefined && entry.sources === undefined) return entry;
  const { reasoning: _r, tools: _t, sources: _s, ...rest } = entry;
  return rest;
}
