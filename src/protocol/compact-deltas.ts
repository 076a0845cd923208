/**
 * Compact deltas (PROTOCOL.md section 14). A client that says `compact: true`
 * in its hello gets, for a delta that continues the delta or snapshot the
 * server last wrote to its socket, its text alone as a JSON string
 * (`"<text>"`) instead of the full frame, and `{"d":"<text>","n":<k>}` for k
 * merged ones: the message and the seq are the ones that come next. A
 * delta of reasoning alone (section 16) is `{"r":"<text>"}` (with `"n"` when
 * merged). Both sides keep that one reference per socket, starting empty on
 * every connection.
 */
import { ErrorCode } from './codes.js';
import type { ParseResult } from './frame-envelope.js';
import type { DeltaFrame, ServerFrame } from './frames.js';
import { parseServerFrame } from './server-frame-check.js';

/** The last delta or snapshot written to (or read from) one socket. */
interface Reference {
  messageId: string;
  seq: number;
}

/** The server's side: writes frames, compact where the reference allows. */
export class CompactDeltaWriter {
  // The reference as two fields, not an object: it changes with every delta written.
  private lastMessageId: string | undefined;
  private lastSeq = 0;

  constructor(private readonly compact: boolean) {}

  /** The JSON to write for `frame`, in the order frames are written. */
  encode(frame: ServerFrame): string {
    if (frame.type === 'delta') {
      const from = frame.fromSeq ?? frame.seq;
      const continues = this.lastMessageId === frame.messageId && this.lastSeq + 1 === from;
      this.lastMessageId = frame.messageId;
      this.lastSeq = frame.seq;
      if (this.compact && continues) {
        const compact = compactBody(frame);
        if (compact !== undefined) {
          return from === frame.seq && compact.field === 'd'
            ? compact.json
            : `{"${compact.field}":${compact.json}${from === frame.seq ? '' : `,"n":${frame.seq - from + 1}`}}`;
        }
      }
    } else if (frame.type === 'snapshot') {
      this.lastMessageId = frame.messageId;
      this.lastSeq = frame.seq;
    }
    return JSON.stringify(frame);
  }
}

/** What a compact delta can carry: answer text alone (`d`), or reasoning alone (`r`); other deltas go out full. */
function compactBody(frame: DeltaFrame): { field: 'd' | 'r'; json: string } | undefined {
  if (frame.tool !== undefined || frame.source !== undefined) return undefined;
  if (frame.reasoning === undefined) return { field: 'd', json: JSON.stringify(frame.text) };
  return frame.text === '' ? { field: 'r', json: JSON.stringify(frame.reasoning) } : undefined;
}

const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1;

/** The client's side: reads frames, turning compact deltas back into full ones. */
export class CompactDeltaReader {
  private last: Reference | undefined;

  /** `parse` reads full frames: the widget's small hand check, or (conformance) the valibot schemas themselves. */
  constructor(private readonly parse: (raw: string) => ParseResult<ServerFrame> = parseServerFrame) {}

  /** Forget the reference: a new connection starts without one. */
  reset(): void {
    this.last = undefined;
  }

  read(raw: string): ParseResult<ServerFrame> {
    // A compact delta is a JSON string, or an object whose first field is `d` or `r`; anything else is a full frame.
    if (raw.startsWith('"') || raw.startsWith('{"d":') || raw.startsWith('{"r":')) return this.expand(raw);
    const parsed = this.parse(raw);
    if (parsed.ok && (parsed.frame.type === 'delta' || parsed.frame.type === 'snapshot')) {
      this.last = { messageId: parsed.frame.messageId, seq: parsed.frame.seq };
    }
    return parsed;
  }

  private expand(raw: string): ParseResult<ServerFrame> {
    let data: { d?: unknown; r?: unknown; n?: unknown };
    try {
      const parsed: unknown = JSON.parse(raw);
      data =
        typeof parsed === 'string' ? { d: parsed } : (parsed as { d?: unknown; r?: unknown; n?: unknown });
    } catch {
      return { ok: false, code: ErrorCode.BadJson, message: 'Frame is not valid JSON.' };
    }
    const last = this.last;
    const reasoning = typeof data.r === 'string' && data.d === undefined;
    if ((typeof data.d !== 'string' && !reasoning) || (data.n !== undefined && !isCount(data.n)) || !last) {
      return {
        ok: false,
        code: ErrorCode.BadFrame,
        message: last ? 'Invalid compact delta.' : 'A compact delta with no delta or snapshot before it.',
      };
    }
    const count = (data.n as number | undefined) ?? 1;
    const seq = last.seq + count;
    const frame: DeltaFrame = reasoning
      ? { type: 'delta', messageId: last.messageId, seq, text: '', reasoning: data.r as string }
      : { type: 'delta', messageId: last.messageId, seq, text: data.d as string };
    if (count > 1) frame.fromSeq = last.seq + 1;
    this.last = { messageId: last.messageId, seq };
    return { ok: true, frame };
  }
}
