/**
 * The widget's hand-written check of server frames against the valibot
 * schemas it stands in for: on every frame type, valid and mutated (fields
 * missing, of the wrong type, out of range, extra, nested ones too, two at a
 * time), both must give the same verdict, the same error code, path and refs,
 * and the same frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import {
  isMessageParams,
  MessageParamsSchema,
  type ParseResult,
  parseServerFrame,
  parseServerFrameWithSchema,
  type ServerFrame,
} from '../../src/protocol/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];
type Container = Record<string | number, Json>;

/** The value at `path` inside `value`. */
const at = (value: Json, path: Path): Json =>
  path.reduce<Json>((inside, key) => (inside as Container)[key] as Json, value);

const long = 'x'.repeat(128);
const usage = { promptTokens: 3, completionTokens: 5 };

/** Each server frame type, once with every optional field and once with none. */
const bases: Record<ServerFrame['type'], { [key: string]: Json }[]> = {
  welcome: [
    {
      type: 'welcome',
      v: 1,
      sessionId: 's',
      conversationId: 'c',
      heartbeatMs: 25000,
      limits: { maxTextLength: 8000, maxFrameBytes: 65536 },
      history: [
        { id: 'u1', role: 'user', text: 'hi', clientMsgId: 'k1' },
        {
          id: 'a1',
          role: 'assistant',
          text: 'yo',
          seq: 2,
          finishReason: 'stop',
          replyTo: 'u1',
          feedback: 'up',
        },
      ],
      active: ['a1'],
      omitted: 4,
      compact: true,
      historyPages: true,
    },
    {
      type: 'welcome',
      v: 1,
      sessionId: 's',
      conversationId: 'c',
      heartbeatMs: 0,
      limits: { maxTextLength: 0, maxFrameBytes: 0 },
      history: [],
      active: [],
    },
  ],
  ack: [
    { type: 'ack', clientMsgId: 'k', messageId: 'm', queuePosition: 2 },
    { type: 'ack', clientMsgId: 'k', messageId: 'm' },
  ],
  start: [{ type: 'start', messageId: 'm', replyTo: 'u' }],
  user: [
    { type: 'user', messageId: 'm', clientMsgId: 'k', text: 'hi', queuePosition: 0 },
    { type: 'user', messageId: 'm', clientMsgId: 'k', text: '' },
  ],
  delta: [
    { type: 'delta', messageId: 'm', seq: 3, fromSeq: 2, text: 'ab' },
    { type: 'delta', messageId: 'm', seq: 1, text: '' },
  ],
  snapshot: [{ type: 'snapshot', messageId: 'm', seq: 0, text: 'so far' }],
  done: [
    { type: 'done', messageId: 'm', seq: 7, finishReason: 'length', usage },
    { type: 'done', messageId: 'm', seq: 0, finishReason: 'stop', usage: null },
  ],
  error: [
    {
      type: 'error',
      code: 'rate_limited',
      message: 'slow down',
      retryable: true,
      retryAfterMs: 1000,
      messageId: 'm',
      clientMsgId: 'k',
    },
    { type: 'error', code: '', message: '', retryable: false },
  ],
  pong: [{ type: 'pong' }],
  feedback: [
    { type: 'feedback', messageId: 'm', value: 'down' },
    { type: 'feedback', messageId: 'm', value: null },
  ],
  history: [
    {
      type: 'history',
      before: 'u2',
      messages: [
        { id: 'u1', role: 'user', text: 'hi', clientMsgId: 'c1' },
        {
          id: 'a1',
          role: 'assistant',
          text: 'yes',
          seq: 2,
          finishReason: 'stop',
          replyTo: 'u1',
          feedback: 'up',
        },
      ],
      more: true,
    },
    { type: 'history', before: 'u1', messages: [], more: false },
  ],
};

/** What a field is replaced with: every JSON kind, the edges of each rule, and values another field would take. */
const replacements: Json[] = [
  null,
  '',
  'm',
  long,
  `${long}x`,
  0,
  1,
  2,
  -1,
  1.5,
  2 ** 53,
  1e300,
  true,
  false,
  [],
  ['m'],
  [1],
  [''],
  {},
  { x: 1 },
  usage,
  { promptTokens: 1.5, completionTokens: 0 },
  { maxTextLength: 1, maxFrameBytes: 2 },
  [{ id: 'h', role: 'user' }],
  [{ id: 'h', role: 'bot' }],
  [{ id: 'h', role: 'assistant', seq: -1 }],
  'stop',
  'length',
  'cancelled',
  'error',
  'interrupted',
  'paused',
  'up',
  'down',
  'user',
  'assistant',
  'welcome',
  'delta',
  'done',
  'pong',
  'send',
];
/** Fewer values for the pairs of mutations, to keep the product small. */
const pairReplacements: Json[] = [null, '', 'm', 0, 1.5, -1, [], {}, 'stop'];
const REMOVE = Symbol('remove');

/** Every path to a field in `value` (object keys and array indexes), parents first. */
function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: Path = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...paths(at(value, [key]), [...prefix, key])]);
}

/** A copy of `value` with the field at `path` replaced (or removed). */
function replaced(value: Json, path: Path, next: Json | typeof REMOVE): Json {
  const copy = structuredClone(value);
  const parent = at(copy, path.slice(0, -1)) as Container;
  const last = path[path.length - 1] as string | number;
  if (next === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = next;
  return copy;
}

/** Every object in `value`, with one more field a newer server might add. */
function withExtraFields(value: Json): Json[] {
  return [[], ...paths(value)]
    .filter((path) => {
      const target = at(value, path);
      return target !== null && typeof target === 'object' && !Array.isArray(target);
    })
    .map((path) => {
      const copy = structuredClone(value);
      (at(copy, path) as Container).future = { nested: [1, 'two'] };
      return copy;
    });
}

const isWithin = (path: Path, parent: Path) => parent.every((key, i) => path[i] === key);

function* frames(): Generator<string> {
  for (const base of Object.values(bases).flat()) {
    yield JSON.stringify(base);
    yield* withExtraFields(base).map((frame) => JSON.stringify(frame));
    const fieldPaths = paths(base);
    for (const path of fieldPaths) {
      yield JSON.stringify(replaced(base, path, REMOVE));
      for (const value of replacements) yield JSON.stringify(replaced(base, path, value));
    }
    for (const [i, first] of fieldPaths.entries())
      for (const second of fieldPaths.slice(i + 1).filter((path) => !isWithin(path, first)))
        for (const a of pairReplacements)
          for (const b of [REMOVE, ...pairReplacements] as const)
            yield JSON.stringify(replaced(replaced(base, first, a), second, b));
  }
}

/** The error's words before its reason: the frame type and the path of the first invalid field. */
const where = (result: ParseResult<ServerFrame>) =>
  result.ok ? undefined : { code: result.code, at: result.message.split(': ')[0], refs: result.refs };

describe('parseServerFrame (the widget, without valibot)', () => {
  it('accepts, rejects and returns exactly what the valibot schemas do, on every frame type mutated', () => {
    const seen = new Set<string>();
    const acceptedByType = new Map<string, number>();
    let rejected = 0;
    for (const raw of frames()) {
      if (seen.has(raw)) continue;
      seen.add(raw);
      const expected = parseServerFrameWithSchema(raw);
      const result = parseServerFrame(raw);
      assert.equal(result.ok, expected.ok, raw);
      if (result.ok && expected.ok) {
        assert.deepStrictEqual(result.frame, expected.frame, raw);
        acceptedByType.set(result.frame.type, (acceptedByType.get(result.frame.type) ?? 0) + 1);
      } else {
        assert.deepStrictEqual(where(result), where(expected), raw);
        rejected++;
      }
    }
    assert.deepEqual([...acceptedByType.keys()].sort(), Object.keys(bases).sort());
    assert.ok(rejected > 10_000, `${rejected} rejected of ${seen.size}`);
    assert.ok(seen.size - rejected > 1_000, `${seen.size - rejected} accepted of ${seen.size}`);
  });

  it('judges what is not a frame of a known type as the schema path does', () => {
    for (const raw of [
      '{nope',
      '[1]',
      'null',
      '"text"',
      '7',
      '{}',
      '{"type":7}',
      '{"type":"launch"}',
      '{"type":"hello","v":1}',
    ]) {
      const expected = parseServerFrameWithSchema(raw);
      assert.equal(expected.ok, false, raw);
      assert.deepStrictEqual(parseServerFrame(raw), expected, raw);
    }
  });

  it('keeps a "__proto__" or "constructor" field as an own, inert field (valibot drops them): no prototype changes', () => {
    const raw = '{"type":"pong","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}';
    const result = parseServerFrame(raw);
    assert.ok(result.ok && parseServerFrameWithSchema(raw).ok);
    assert.equal(Object.getPrototypeOf(result.frame), Object.prototype);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});

describe('isMessageParams (the params attribute, without valibot)', () => {
  it('judges every params object as MessageParamsSchema does', () => {
    const fieldValues: (Json | undefined)[] = [undefined, null, '', 'gpt', 0, 0.7, 2, -3, 1.5, true, [], {}];
    let accepted = 0;
    let checked = 0;
    for (const temperature of fieldValues)
      for (const maxTokens of fieldValues)
        for (const model of fieldValues)
          for (const system of [undefined, 'be brief', 3])
            for (const extra of [{}, { topP: 0.9 }]) {
              const params = JSON.parse(
                JSON.stringify({ temperature, maxTokens, model, system, ...extra }),
              ) as object;
              assert.equal(
                isMessageParams(params),
                v.is(MessageParamsSchema, params),
                JSON.stringify(params),
              );
              if (isMessageParams(params)) accepted++;
              checked++;
            }
    for (const notParams of [[], [1], ['gpt']])
      assert.equal(isMessageParams(notParams), v.is(MessageParamsSchema, notParams));
    assert.ok(accepted > 0 && accepted < checked, `${accepted} of ${checked} accepted`);
  });
});
