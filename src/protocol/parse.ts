import * as v from 'valibot';
import { ErrorCode } from './codes.js';
import {
  type ClientFrame,
  ClientFrameSchema,
  MAX_ID_LENGTH,
  type ServerFrame,
  ServerFrameSchema,
} from './frames.js';

export type ParseResult<T> =
  | { ok: true; frame: T }
  | {
      ok: false;
      code: ErrorCode;
      message: string;
      /** The ids an invalid frame named, if readable, so the error can say which message it concerns. */
      refs?: { clientMsgId?: string; messageId?: string };
    };

function refsOf(data: object): { clientMsgId?: string; messageId?: string } {
  const { clientMsgId, messageId } = data as { clientMsgId?: unknown; messageId?: unknown };
  return {
    ...(typeof clientMsgId === 'string' && clientMsgId.length <= MAX_ID_LENGTH ? { clientMsgId } : {}),
    ...(typeof messageId === 'string' && messageId.length <= MAX_ID_LENGTH ? { messageId } : {}),
  };
}

const isId = (x: unknown): boolean => typeof x === 'string' && x.length >= 1 && x.length <= MAX_ID_LENGTH;
const isSeq = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 1;

/**
 * The frame the client receives most, checked without the schema: a stream
 * brings one per token, and in the render benchmark validating each through
 * valibot's variant took two thirds of the widget's time per token. Accepts
 * only what DeltaFrameSchema accepts (test/protocol/frames.test.ts holds it to
 * that); anything else goes to the schema, which also words the error.
 */
function isWellFormedDelta(data: object): boolean {
  const d = data as { messageId?: unknown; seq?: unknown; fromSeq?: unknown; text?: unknown };
  return (
    isId(d.messageId) &&
    isSeq(d.seq) &&
    (d.fromSeq === undefined || isSeq(d.fromSeq)) &&
    typeof d.text === 'string'
  );
}

function parseWith<T>(
  schema: v.GenericSchema<unknown, T>,
  knownTypes: ReadonlySet<string>,
  raw: string,
  /** A cheaper check that may accept a frame of one type; what it declines goes to the schema. */
  fastPath?: { type: string; accepts(data: object): boolean },
): ParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.BadJson, message: 'Frame is not valid JSON.' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: ErrorCode.BadFrame, message: 'Frame must be a JSON object.' };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return {
      ok: false,
      code: ErrorCode.UnknownType,
      message: `Unknown frame type ${JSON.stringify(type)}.`,
    };
  }
  if (type === fastPath?.type && fastPath.accepts(data)) return { ok: true, frame: data as T };
  const result = v.safeParse(schema, data);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    return {
      ok: false,
      code: ErrorCode.BadFrame,
      message: `Invalid ${type} frame${path ? ` at ${path}` : ''}: ${issue.message}`,
      refs: refsOf(data),
    };
  }
  return { ok: true, frame: result.output };
}

const clientTypes = new Set(ClientFrameSchema.options.map((o) => o.entries.type.literal));
const serverTypes = new Set(ServerFrameSchema.options.map((o) => o.entries.type.literal));

/** Validates a text frame sent by a client. Never throws. */
export function parseClientFrame(raw: string): ParseResult<ClientFrame> {
  return parseWith(ClientFrameSchema, clientTypes, raw);
}

/** Validates a text frame sent by a server. Never throws. */
export function parseServerFrame(raw: string): ParseResult<ServerFrame> {
  return parseWith(ServerFrameSchema, serverTypes, raw, { type: 'delta', accepts: isWellFormedDelta });
}
