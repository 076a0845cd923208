/**
 * The widget's check of server frames, written out by hand so that its bundle
 * carries no valibot (2.4 KB gzip of it). It accepts exactly what the schemas
 * in frames.ts accept, and returns the frame JSON.parse made;
 * test/protocol/server-frame-check.test.ts holds it to that on many valid and
 * invalid frames of every type. Change both together.
 */
import { MAX_ID_LENGTH } from './constants.js';
import { invalidFrame, openFrame, type ParseResult } from './frame-envelope.js';
import type { MessageParams, ServerFrame } from './frames.js';

/** The path, under the value checked, of its first invalid field ('' = the value itself); undefined if valid. */
type Check = (value: unknown) => string | undefined;

const is =
  (test: (value: unknown) => boolean): Check =>
  (value) =>
    test(value) ? undefined : '';
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined ? undefined : check(value);
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null ? undefined : check(value);
const within = (key: string | number, path: string | undefined) =>
  path === undefined ? undefined : path ? `${key}.${path}` : `${key}`;

const string = is((value) => typeof value === 'string');
const boolean = is((value) => typeof value === 'boolean');
const number = is((value) => typeof value === 'number' && !Number.isNaN(value));
const integer = is(Number.isInteger);
const atLeast = (min: number) => is((value) => Number.isInteger(value) && (value as number) >= min);
const count = atLeast(0);
const seq = count;
const id = is((value) => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH);
const oneOf = (...options: unknown[]) => is((value) => options.includes(value));

/** A loose object (valibot's looseObject: arrays pass as objects too), its fields checked in order. */
function object(fields: Record<string, Check>): Check {
  const entries = Object.entries(fields);
  return (value) => {
    if (typeof value !== 'object' || value === null) return '';
    for (const [key, check] of entries) {
      const path = within(key, check((value as Record<string, unknown>)[key]));
      if (path !== undefined) return path;
    }
    return undefined;
  };
}

function array(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return '';
    for (let i = 0; i < value.length; i++) {
      const path = within(i, check(value[i]));
      if (path !== undefined) return path;
    }
    return undefined;
  };
}

const finishReason = oneOf('stop', 'length', 'cancelled', 'error', 'interrupted');
/** The parts of an answer beside its text (PROTOCOL.md section 16). */
const toolStep = object({
  id,
  name: string,
  label: string,
  status: oneOf('running', 'done', 'failed'),
  summary: optional(string),
});
const sourceRef = object({ n: atLeast(1), title: string, url: string, snippet: optional(string) });
const parts = {
  reasoning: optional(string),
  tools: optional(array(toolStep)),
  sources: optional(array(sourceRef)),
};
const feedbackValue = oneOf('up', 'down');

const messageParams = object({
  temperature: optional(number),
  maxTokens: optional(integer),
  model: optional(string),
  system: optional(string),
});

/** MessageParamsSchema's verdict on an object (the `params` attribute). */
export const isMessageParams = (value: object): value is MessageParams =>
  !Array.isArray(value) && messageParams(value) === undefined;

const historyEntry = object({
  id,
  role: oneOf('user', 'assistant'),
  text: optional(string),
  seq: optional(seq),
  finishReason: optional(finishReason),
  replyTo: optional(id),
  clientMsgId: optional(id),
  feedback: optional(feedbackValue),
  ...parts,
});

/** Each server frame type's fields past `type`, as in frames.ts. */
const serverFrames: Record<ServerFrame['type'], Check> = {
  welcome: object({
    v: integer,
    sessionId: id,
    conversationId: id,
    heartbeatMs: count,
    limits: object({ maxTextLength: count, maxFrameBytes: count }),
    history: array(historyEntry),
    active: array(id),
    omitted: optional(count),
    compact: optional(boolean),
    parts: optional(boolean),
    historyPages: optional(boolean),
  }),
  ack: object({ clientMsgId: id, messageId: id, queuePosition: optional(count) }),
  start: object({ messageId: id, replyTo: id }),
  user: object({ messageId: id, clientMsgId: id, text: string, queuePosition: optional(count) }),
  delta: object({
    messageId: id,
    seq: atLeast(1),
    fromSeq: optional(atLeast(1)),
    text: string,
    reasoning: optional(string),
    tool: optional(toolStep),
    source: optional(sourceRef),
  }),
  snapshot: object({ messageId: id, seq, text: string, ...parts }),
  done: object({
    messageId: id,
    seq,
    finishReason,
    usage: nullable(
      object({ promptTokens: count, completionTokens: count, reasoningTokens: optional(count) }),
    ),
  }),
  error: object({
    code: string,
    message: string,
    retryable: boolean,
    retryAfterMs: optional(count),
    messageId: optional(id),
    clientMsgId: optional(id),
  }),
  pong: object({}),
  feedback: object({ messageId: id, value: nullable(feedbackValue) }),
  history: object({ before: id, messages: array(historyEntry), more: boolean }),
};
const serverTypes = new Set(Object.keys(serverFrames));

/** Validates a text frame sent by a server. Never throws. */
export function parseServerFrame(raw: string): ParseResult<ServerFrame> {
  const opened = openFrame(raw, serverTypes);
  if (!opened.ok) return opened;
  const { data, type } = opened;
  const path = serverFrames[type as ServerFrame['type']](data);
  if (path !== undefined) return invalidFrame(data, type, path, 'missing or invalid value.');
  return { ok: true, frame: data as ServerFrame };
}
