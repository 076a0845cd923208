import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { DeltaFrameSchema } from '../../src/protocol/frames.js';
import {
  ErrorCode,
  parseClientFrame,
  parseServerFrame,
  shouldReconnectAfterClose,
} from '../../src/protocol/index.js';

describe('parseClientFrame', () => {
  it('accepts each client frame type', () => {
    for (const frame of [
      { type: 'hello', v: 1 },
      { type: 'hello', v: 1, conversationId: 'c_1', resume: [{ messageId: 'm_1', lastSeq: 3 }] },
      { type: 'send', clientMsgId: 'u_1', text: 'hi', params: { temperature: 0.5, maxTokens: 100 } },
      { type: 'cancel', messageId: 'm_1' },
      { type: 'ping' },
      { type: 'feedback', messageId: 'm_1', value: 'up' },
      { type: 'feedback', messageId: 'm_1', value: 'down' },
      { type: 'feedback', messageId: 'm_1', value: null },
    ]) {
      const result = parseClientFrame(JSON.stringify(frame));
      assert.equal(result.ok, true, JSON.stringify(result));
    }
  });

  it('ignores unknown fields, as the versioning rule requires', () => {
    const result = parseClientFrame(JSON.stringify({ type: 'ping', future: { x: 1 } }));
    assert.deepEqual(result, { ok: true, frame: { type: 'ping', future: { x: 1 } } });
  });

  it('reports malformed JSON, non-objects, unknown types and wrong field types with distinct codes', () => {
    assert.deepEqual(
      [
        parseClientFrame('{nope'),
        parseClientFrame('[1,2]'),
        parseClientFrame('null'),
        parseClientFrame(JSON.stringify({ type: 'launch' })),
        parseClientFrame(JSON.stringify({ text: 'no type' })),
        parseClientFrame(JSON.stringify({ type: 'send', clientMsgId: 'u', text: 42 })),
        parseClientFrame(JSON.stringify({ type: 'send', clientMsgId: '', text: 'x' })),
        parseClientFrame(JSON.stringify({ type: 'welcome', v: 1 })),
      ].map((r) => (r.ok ? 'ok' : r.code)),
      [
        ErrorCode.BadJson,
        ErrorCode.BadFrame,
        ErrorCode.BadFrame,
        ErrorCode.UnknownType,
        ErrorCode.UnknownType,
        ErrorCode.BadFrame,
        ErrorCode.BadFrame,
        ErrorCode.UnknownType,
      ],
    );
  });

  it('refuses a feedback value other than up, down or null, and one without a value', () => {
    for (const value of ['sideways', 'UP', 1, true, {}, undefined]) {
      const result = parseClientFrame(JSON.stringify({ type: 'feedback', messageId: 'm_1', value }));
      assert.ok(!result.ok, `value ${JSON.stringify(value)} was accepted`);
      assert.equal(result.code, ErrorCode.BadFrame);
      assert.deepEqual(result.refs, { messageId: 'm_1' });
    }
  });

  it('names the offending field in the message', () => {
    const result = parseClientFrame(JSON.stringify({ type: 'send', clientMsgId: 'u', text: 42 }));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /send frame at text/);
  });
  it('refuses params that are not an object (an array is not one)', () => {
    for (const params of [[], [1], 'x', 3, null]) {
      const result = parseClientFrame(
        JSON.stringify({ type: 'send', clientMsgId: 'c1', text: 'hi', params }),
      );
      assert.ok(!result.ok, `params ${JSON.stringify(params)} was accepted`);
      assert.equal(result.code, ErrorCode.BadFrame);
      assert.match(result.message, /at params/);
    }
    assert.ok(
      parseClientFrame(JSON.stringify({ type: 'send', clientMsgId: 'c1', text: 'hi', params: {} })).ok,
    );
  });
});

describe('parseServerFrame', () => {
  it('requires delta seq to start at 1', () => {
    assert.equal(
      parseServerFrame(JSON.stringify({ type: 'delta', messageId: 'm', seq: 0, text: 'a' })).ok,
      false,
    );
    assert.equal(
      parseServerFrame(JSON.stringify({ type: 'delta', messageId: 'm', seq: 1, text: 'a' })).ok,
      true,
    );
  });

  it('rejects a client frame type', () => {
    assert.equal(parseServerFrame(JSON.stringify({ type: 'send', clientMsgId: 'u', text: 'x' })).ok, false);
  });

  it('judges every delta frame as the schema does', () => {
    const values = {
      messageId: [undefined, null, '', 'm', 'm'.repeat(128), 'm'.repeat(129), 7, ['m']],
      seq: [undefined, null, 0, 1, 2.5, -1, 9007199254740991, 1e300, '1', Number.NaN, true],
      fromSeq: [undefined, null, 0, 1, 3, 1.5, '2'],
      text: [undefined, null, '', ' word', 5, { t: 'x' }],
    };
    let accepted = 0;
    let checked = 0;
    for (const messageId of values.messageId)
      for (const seq of values.seq)
        for (const fromSeq of values.fromSeq)
          for (const text of values.text)
            for (const extra of [{}, { future: { x: 1 } }]) {
              const frame = { type: 'delta', messageId, seq, fromSeq, text, ...extra };
              const raw = JSON.stringify(frame);
              const expected = v.safeParse(DeltaFrameSchema, JSON.parse(raw));
              const result = parseServerFrame(raw);
              assert.equal(result.ok, expected.success, raw);
              if (result.ok && expected.success) {
                assert.deepEqual(result.frame, expected.output, raw);
                accepted++;
              }
              checked++;
            }
    assert.ok(accepted > 0 && accepted < checked, `${accepted} of ${checked} accepted`);
  });
});

describe('close codes', () => {
  it('reconnects on normal, going-away and 4000–4499 codes, stops on 4500+', () => {
    assert.deepEqual(
      [1000, 1001, 1006, 1009, 4000, 4001, 4499, 4500, 4505, 4999].map(shouldReconnectAfterClose),
      [true, true, true, true, true, true, true, false, false, false],
    );
  });
});
