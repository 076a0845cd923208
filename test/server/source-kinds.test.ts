/**
 * The chat server takes either kind of source (README, "A token source"):
 * one it reads (`generate`, an async generator) and one that pushes its
 * chunks (`stream`). A client sees the same answer from both; a stop reaches
 * a push source's signal and nothing it pushes afterwards reaches a client;
 * a source that rejects fails the answer; an object with neither method is
 * refused when the server is created.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isType } from '../../src/conformance/peer.js';
import type { ServerFrame } from '../../src/protocol/index.js';
import type { ChatSource, GenerateResult, PushTokenSource } from '../../src/server/index.js';
import { createChatServer } from '../../src/server/index.js';
import { welcomed, withServer } from '../helpers/kit.js';

const WORDS = ['Push ', 'and ', 'pull ', 'agree.'];
const RESULT: GenerateResult = { finishReason: 'length', usage: { promptTokens: 3, completionTokens: 4 } };

const pullSource: ChatSource = {
  async *generate() {
    for (const word of WORDS) yield word;
    return RESULT;
  },
};

/** Pushes a word per timer tick, from the timer's callback, as a socket's data event would. */
const pushSource: PushTokenSource = {
  stream(_request, emit) {
    return new Promise((resolve) => {
      let next = 0;
      const timer = setInterval(() => {
        emit(WORDS[next++] as string);
        if (next === WORDS.length) {
          clearInterval(timer);
          resolve(RESULT);
        }
      }, 1);
    });
  },
};

/** Asks one question and resolves with the answer's text (from its deltas) and its done frame. */
async function ask(wsUrl: string): Promise<{ text: string; done: ServerFrame }> {
  const peer = await welcomed(wsUrl);
  try {
    peer.send({ type: 'send', clientMsgId: 'q1', text: 'hello' });
    const start = await peer.waitFor(isType('start'));
    const done = await peer.waitFor(isType('done', (d) => d.messageId === start.messageId));
    const text = peer.frames
      .filter((f) => f.type === 'delta' && f.messageId === start.messageId)
      .map((f) => (f.type === 'delta' ? f.text : ''))
      .join('');
    return { text, done };
  } finally {
    peer.close();
  }
}

describe('source kinds', () => {
  for (const [kind, source] of [
    ['pull', pullSource],
    ['push', pushSource],
  ] as const) {
    it(`a ${kind} source's answer reaches the client whole, ended as the source said`, async () => {
      const { text, done } = await withServer({ source }, (wsUrl) => ask(wsUrl));
      assert.equal(text, WORDS.join(''));
      assert.equal(done.type === 'done' && done.finishReason, 'length');
      assert.deepEqual(done.type === 'done' && done.usage, RESULT.usage);
    });
  }

  it("a stop aborts a push source's signal, and nothing it pushes afterwards reaches the client", async () => {
    let aborted: Promise<void> | undefined;
    let emitLater: ((chunk: string) => void) | undefined;
    const source: PushTokenSource = {
      stream({ signal }, emit) {
        emit('first ');
        emitLater = emit;
        aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        // A careless source: it settles a while after the stop, and pushes once more before it does.
        return aborted.then(() => {
          emit('after the stop');
          return { finishReason: 'stop', usage: null };
        });
      },
    };
    await withServer({ source }, async (wsUrl) => {
      const peer = await welcomed(wsUrl);
      try {
        peer.send({ type: 'send', clientMsgId: 'q1', text: 'hello' });
        const start = await peer.waitFor(isType('start'));
        await peer.waitFor(isType('delta', (d) => d.messageId === start.messageId));
        peer.send({ type: 'cancel', messageId: start.messageId });
        const done = await peer.waitFor(isType('done', (d) => d.messageId === start.messageId));
        assert.equal(done.finishReason, 'cancelled');
        await aborted;
        emitLater?.('even later');
        // Everything the server sent before a pong to a ping sent now has arrived.
        peer.send({ type: 'ping' });
        await peer.waitFor(isType('pong'));
        const texts = peer.frames.flatMap((f) => (f.type === 'delta' ? [f.text] : []));
        assert.deepEqual(texts, ['first ']);
      } finally {
        peer.close();
      }
    });
  });

  it('a push source that rejects fails the answer with its message', async () => {
    const source: PushTokenSource = {
      async stream(_request, emit) {
        emit('partial ');
        throw new Error('the model went away');
      },
    };
    await withServer({ source }, async (wsUrl) => {
      const peer = await welcomed(wsUrl);
      try {
        peer.send({ type: 'send', clientMsgId: 'q1', text: 'hello' });
        const error = await peer.waitFor(isType('error', (e) => e.code === 'source_failed'));
        assert.match(error.message, /the model went away/);
        const done = await peer.waitFor(isType('done'));
        assert.equal(done.finishReason, 'error');
      } finally {
        peer.close();
      }
    });
  });

  it('refuses a source with neither generate() nor stream()', () => {
    assert.throws(
      () => createChatServer({ source: { respond() {} } as unknown as ChatSource }),
      /options.source must be a token source, with a generate\(\) or a stream\(\) method/,
    );
  });
});
