/**
 * History pages (PROTOCOL.md section 17), in memory and in Redis: a client
 * that asks in its hello is offered them, pages through a long
 * conversation's older history before its welcome's, oldest first within
 * each page, up to the oldest message; a client that does not ask gets the
 * welcome it always got.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import type { DevServerOptions } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { ErrorCode, type HistoryMessage } from '../../src/protocol/index.js';
import { welcomed, withServer } from '../helpers/kit.js';

const TURNS = 8;
/** Small enough that the welcome leaves most of the eight turns out. */
const WELCOME_CHARS = 3000;

/** Asks `turns` questions in a row, each answered before the next; returns the conversation's id. */
async function converse(url: string, turns: number): Promise<string> {
  const client = await welcomed(url);
  const welcome = client.frames.find(isType('welcome'));
  assert.ok(welcome);
  for (let i = 0; i < turns; i++) {
    const from = client.frames.length;
    client.send({ type: 'send', clientMsgId: `t${i}`, text: `question ${i}` });
    await client.waitFor(isType('done'), { from, timeoutMs: 30_000 });
  }
  client.close();
  return welcome.conversationId;
}

async function page(client: Peer, before: string, limit?: number) {
  const from = client.frames.length;
  client.send({ type: 'history', before, ...(limit === undefined ? {} : { limit }) });
  return client.waitFor(
    isType('history', (h) => h.before === before),
    { from },
  );
}

function pagesThroughTheWholeConversation(options: () => Partial<DevServerOptions>) {
  return async () => {
    await withServer({ welcomeHistoryChars: WELCOME_CHARS, ...options() }, async (url) => {
      const conversationId = await converse(url, TURNS);

      // A client that does not ask: the welcome it always had, with no offer.
      const plain = await welcomed(url, { hello: { conversationId } });
      const plainWelcome = plain.frames.find(isType('welcome'));
      assert.equal(plainWelcome?.historyPages, undefined, 'no offer to a client that did not ask');
      assert.ok((plainWelcome?.omitted ?? 0) > 0, 'the welcome leaves older messages out');
      plain.close();

      const client = await welcomed(url, { hello: { conversationId, historyPages: true } });
      const welcome = client.frames.find(isType('welcome'));
      assert.equal(welcome?.historyPages, true, 'pages offered to a client that asked');
      assert.deepEqual(
        welcome?.history.map((m) => m.id),
        plainWelcome?.history.map((m) => m.id),
        'the same welcome history',
      );
      const omitted = welcome?.omitted ?? 0;
      assert.ok(omitted > 0);

      // Two messages a page, back to the first message.
      let held: HistoryMessage[] = [...(welcome?.history ?? [])];
      for (;;) {
        const oldest = held[0]?.id as string;
        const older = await page(client, oldest, 2);
        assert.ok(
          older.messages.length >= 1 && older.messages.length <= 2,
          `${older.messages.length} messages`,
        );
        const chars = older.messages.reduce((n, m) => n + (m.text?.length ?? 0), 0);
        assert.ok(older.messages.length === 1 || chars <= WELCOME_CHARS, `${chars} characters in a page`);
        held = [...older.messages, ...held];
        if (!older.more) break;
      }
      assert.equal(held.length, 2 * TURNS, 'every message, once');
      assert.equal(held.length - (welcome?.history.length ?? 0), omitted, 'as many as the welcome omitted');
      for (let i = 0; i < TURNS; i++) {
        const question = held[2 * i];
        const answer = held[2 * i + 1];
        assert.equal(question?.role, 'user');
        assert.equal(question?.text, `question ${i}`, `question ${i} in its place`);
        assert.equal(question?.clientMsgId, `t${i}`);
        assert.equal(answer?.role, 'assistant');
        assert.equal(answer?.replyTo, question?.id, `answer ${i} follows its question`);
        assert.equal(answer?.finishReason, 'stop');
        assert.ok((answer?.text ?? '').length > 0 && (answer?.seq ?? 0) > 0, `answer ${i} has its text`);
      }

      // Before the first message: nothing older.
      const first = await page(client, held[0]?.id as string);
      assert.deepEqual(first.messages, []);
      assert.equal(first.more, false);

      // Without a limit, one page holds what fits the text bound.
      const whole = await page(client, welcome?.history[0]?.id as string);
      assert.ok(whole.messages.length >= 1 && whole.messages.length <= omitted);
      assert.deepEqual(
        whole.messages.map((m) => m.id),
        held.slice(omitted - whole.messages.length, omitted).map((m) => m.id),
        'the newest of the older messages, oldest first',
      );

      // A message the conversation does not have.
      const from = client.frames.length;
      client.send({ type: 'history', before: 'm_nope' });
      const error = await client.waitFor(isType('error'), { from });
      assert.equal(error.code, ErrorCode.UnknownMessage);
      assert.equal(error.messageId, 'm_nope');
      client.close();
    });
  };
}

describe('history pages', () => {
  it(
    'in memory: a client that asks pages back to the first message',
    pagesThroughTheWholeConversation(() => ({})),
  );

  it('a page carries reasoning, steps and sources only to a client that asked for parts', async () => {
    const source = createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY, parts: true });
    await withServer({ welcomeHistoryChars: WELCOME_CHARS, source }, async (url) => {
      const conversationId = await converse(url, 4);
      const pageFor = async (parts: boolean) => {
        const client = await welcomed(url, { hello: { conversationId, historyPages: true, parts } });
        const welcome = client.frames.find(isType('welcome'));
        const older = await page(client, welcome?.history[0]?.id as string, 4);
        client.close();
        return older.messages.filter((m) => m.role === 'assistant');
      };
      const withParts = await pageFor(true);
      assert.ok(withParts.length > 0, 'the page holds answers');
      for (const answer of withParts) {
        assert.ok(
          answer.reasoning && answer.tools?.length && answer.sources?.length,
          'every part, when asked',
        );
      }
      const plain = await pageFor(false);
      assert.deepEqual(
        plain.map((m) => m.id),
        withParts.map((m) => m.id),
      );
      for (const answer of plain) {
        assert.deepEqual(
          [answer.reasoning, answer.tools, answer.sources],
          [undefined, undefined, undefined],
          'the version-1 view: the text alone',
        );
        assert.ok((answer.text ?? '').length > 0);
      }
    });
  });

  it('before hello, a history request is refused with bad_state', async () => {
    await withServer({}, async (url) => {
      const { Peer } = await import('../../src/conformance/peer.js');
      const client = new Peer(url);
      await new Promise((resolve) => client.socket.once('open', resolve));
      client.send({ type: 'history', before: 'm_1' });
      const error = await client.waitFor(isType('error'));
      assert.equal(error.code, ErrorCode.BadState);
      client.close();
    });
  });
});

describe('history pages in Redis', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedisProcess();
  });
  after(async () => {
    await redis.close();
  });

  it(
    'a client that asks pages back to the first message',
    pagesThroughTheWholeConversation(() => ({ redis: { url: redis.url, keyPrefix: 'pages' } })),
  );
});
