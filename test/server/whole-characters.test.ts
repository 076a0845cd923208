/**
 * PROTOCOL.md section 3: a delta's (and a snapshot's) text never begins or
 * ends inside a character. The mock slices its answers by UTF-16 index, as
 * a careless source would, so emoji arrive split in two; every path a text
 * takes to a client must put them back together: live deltas, a resume's
 * replay, a resume's snapshot, and the Redis store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { splitIntoTokens } from '../../src/dev-server/sources/mock-answer.js';
import { isWholeCharacters, type ServerFrame } from '../../src/protocol/index.js';
import type { GenerateRequest, SourceChunk } from '../../src/server/sources/types.js';
import { wholeCharacters } from '../../src/server/sources/whole-characters.js';
import { welcomed } from '../helpers/kit.js';

/** Emoji (surrogate pairs, a ZWJ sequence, flags), CJK, and combining marks. */
const TEXT = `${'😀🎉👩‍👩‍👧 🇯🇵🇫🇷 '.repeat(20)}漢字かな交じり文 ${'é ñ ǘ '.repeat(10)}${'𝄞𝒜 '.repeat(20)}`;
const QUESTION = `/echo ${TEXT}`;

const request = (): GenerateRequest => ({ messages: [], params: {}, signal: new AbortController().signal });

function texts(frames: readonly ServerFrame[]): string[] {
  return frames.flatMap((f) => (f.type === 'delta' || f.type === 'snapshot' ? [f.text] : []));
}

function assertWellFormed(frames: readonly ServerFrame[], where: string): void {
  const all = texts(frames);
  assert.ok(all.length > 0, `${where}: some text arrived`);
  for (const text of all)
    assert.ok(isWholeCharacters(text), `${where}: ${JSON.stringify(text)} splits a character`);
}

describe('whole characters (PROTOCOL.md section 3)', () => {
  it('the mock itself splits emoji: the test would see a split if the server passed one on', () => {
    assert.ok(splitIntoTokens(TEXT, 3).some((t) => !isWholeCharacters(t)));
  });

  it('wholeCharacters holds a dangling high surrogate back for the next chunk', async () => {
    const source = wholeCharacters({
      async *generate() {
        for (const chunk of ['a\ud83d', '\ude00b', '\ud83c', '\udf89', 'c\ud83d']) yield chunk;
        return { finishReason: 'stop', usage: null };
      },
    });
    const chunks: SourceChunk[] = [];
    await source.stream(request(), (chunk) => chunks.push(chunk));
    assert.deepEqual(chunks, ['a', '😀b', '🎉', 'c']);
  });

  it('answer text and reasoning each hold their own half back; typed parts are checked', async () => {
    const source = wholeCharacters({
      async *generate() {
        yield { type: 'reasoning', text: 'r\ud83d' };
        yield 'a\ud83c';
        yield { type: 'reasoning', text: '\ude00' };
        yield { type: 'text', text: '\udf89' };
        yield { type: 'source', title: 'lone \ud83d', url: 'https://example.com' };
        yield { type: 'tool', id: '', name: 'x', label: 'y', status: 'running' } as SourceChunk;
        return { finishReason: 'stop', usage: null };
      },
    });
    const chunks: SourceChunk[] = [];
    await assert.rejects(
      source.stream(request(), (chunk) => chunks.push(chunk)),
      /invalid part at id/,
    );
    assert.deepEqual(chunks, [
      { type: 'reasoning', text: 'r' },
      'a',
      { type: 'reasoning', text: '😀' },
      '🎉',
      { type: 'source', title: 'lone \ufffd', url: 'https://example.com' },
    ]);
  });

  for (const store of ['memory', 'redis'] as const) {
    describe(`${store} store`, () => {
      let redis: RedisProcess | undefined;
      let roomy: DevServer;
      let tight: DevServer;
      before(async () => {
        if (store === 'redis') redis = await startRedisProcess();
        const common = {
          port: 0,
          source: createMockSource({ seed: 3, tokensPerSecond: 2000 }),
          // A delta per token: the split characters the mock makes reach the server's paths one by one.
          deltaWindowMs: 0,
          ...(redis ? { redis: redis.url } : {}),
        };
        roomy = await startDevServer(common);
        // Keeps too few deltas to replay, so resumes are served by a snapshot.
        tight = await startDevServer({ ...common, replayMaxChars: 16 });
      });
      after(async () => {
        await roomy.close();
        await tight.close();
        await redis?.close();
      });

      for (const [kind, server] of [
        ['live deltas and a replay of deltas', () => roomy],
        ['a snapshot', () => tight],
      ] as const) {
        it(`every text is whole: ${kind}`, async () => {
          const url = `${server().url.replace(/^http/, 'ws')}/ws`;
          const asker = await welcomed(url);
          const { conversationId } = asker.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
          asker.send({ type: 'send', clientMsgId: 'e', text: QUESTION });
          const done = await asker.waitFor(isType('done'));
          assertWellFormed(asker.frames, 'live');
          assert.equal(texts(asker.frames).join(''), TEXT);
          asker.close();
          // A client that held 3 deltas resumes: a replay (roomy) or a snapshot (tight).
          const back = await welcomed(url, {
            hello: { conversationId, resume: [{ messageId: done.messageId, lastSeq: 3 }] },
          });
          await back.waitFor(isType('done'));
          assertWellFormed(back.frames.slice(1), 'resumed');
          back.close();
        });
      }
    });
  }
});
