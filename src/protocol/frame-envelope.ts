/**
 * What every inbound frame goes through before its fields are checked, on
 * either end: JSON, an object, a known `type`. Free of valibot, for the widget.
 */
import { ErrorCode } from './codes.js';
import { MAX_ID_LENGTH } from './constants.js';

export type ParseFailure = {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The ids an invalid frame named, if readable, so the error can say which message it concerns. */
  refs?: { clientMsgId?: string; messageId?: string };
};

export type ParseResult<T> = { ok: true; frame: T } | ParseFailure;

export type OpenedFrame = { ok: true; data: Record<string, unknown>; type: string };

/** Reads `raw` as a JSON object of one of `knownTypes`, or says why not. */
export function openFrame(raw: string, knownTypes: ReadonlySet<string>): OpenedFrame | ParseFailure {
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
  return { ok: true, data: data as Record<string, unknown>, type };
}

/** The result for a frame of a known `type` whose field at `path` is invalid. */
export function invalidFrame(data: object, type: string, path: string, reason: string): ParseFailure {
  const { clientMsgId, messageId } = data as { clientMsgId?: unknown; messageId?: unknown };
  return {
    ok: false,
    code: ErrorCode.BadFrame,
    message: `Invalid ${type} frame${path ? ` at ${path}` : ''}: ${reason}`,
    refs: {
      ...(typeof clientMsgId === 'string' && clientMsgId.length <= MAX_ID_LENGTH ? { clientMsgId } : {}),
      ...(typeof messageId === 'string' && messageId.length <= MAX_ID_LENGTH ? { messageId } : {}),
    },
  };
}
