import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isType } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import type { MessageParams } from '../../src/protocol/index.js';
import { createOpenAISource, type OpenAISourceOptions } from '../../src/server/sources/openai.js';
import { streamChunks } from '../../src/server/sources/stream-chunks.js';
import type {
  ChatSource,
  GenerateResult,
  SourceChunk,
  SourceMessage,
} from '../../src/server/sources/types.js';
import { welcomed, wsUrlOf } from '../helpers/kit.js';
import { answer, chunk, DONE, errorStatus, FakeUpstream, startSse, usageChunk } from './fake-openai.js';

/** Runs one generation to its end: the chunks and the result, or the error it failed with. */
async function collect(
  source: ChatSource,
  messages: SourceMessage[] = [{ role: 'user', content: 'hi' }],
  params: MessageParams = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<{ chunks: SourceChunk[]; result?: GenerateResult; error?: Error }> {
  const chunks: SourceChunk[] = [];
  try {
    const result = await streamChunks(source, { messages, params, signal }, (c) => chunks.push(c));
    return { chunks, result };
  } catch (error) {
    return { chunks, error: error as Error };
  }
}

/** Streams `t0 `, `t1 `, … a token every 10 ms, until 1000 or until the request goes away. */
async function longAnswer(res: ServerResponse): Promise<void> {
  startSse(res);
  for (let i = 0; i < 1000 && !res.destroyed; i++) {
    res.write(chunk(`t${i} `));
    await sleep(10);
  }
  res.end(DONE);
}

describe('OpenAI-compatible source against a fake upstream', () => {
  let upstream: FakeUpstream;
  const source = (extra: Partial<OpenAISourceOptions> = {}): ChatSource =>
    createOpenAISource({ model: 'fake-model', baseURL: upstream.baseURL, apiKey: 'sk-test', ...extra });

  before(async () => {
    upstream = await FakeUpstream.start();
  });
  after(() => upstream.close());
  beforeEach(() => {
    upstream.scripts.length = 0;
    upstream.requests.length = 0;
  });

  it('streams the answer chunk by chunk and returns the usage chunk', async () => {
    upstream.scripts.push(answer(['The ', 'answer', ' is 42.'], { usage: [17, 3] }));
    const { chunks, result, error } = await collect(source());
    assert.equal(error, undefined);
    assert.deepEqual(chunks, ['The ', 'answer', ' is 42.']);
    assert.deepEqual(result, { finishReason: 'stop', usage: { promptTokens: 17, completionTokens: 3 } });
    const request = upstream.requests[0];
    assert.equal(request?.body.stream, true);
    assert.deepEqual(request?.body.stream_options, { include_usage: true });
    assert.equal(request?.headers.authorization, 'Bearer sk-test');
  });

  it('sends the history, the system prompt and the params as the request', async () => {
    const messages: SourceMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'second' },
    ];
    await collect(source({ allowedModels: ['other-model'] }), messages, {
      temperature: 0.2,
      maxTokens: 50,
      model: 'other-model',
    });
    const body = upstream.requests[0]?.body;
    assert.deepEqual(body?.messages, messages);
    assert.equal(body?.model, 'other-model');
    assert.equal(body?.temperature, 0.2);
    assert.equal(body?.max_tokens, 50);
  });

  it('refuses a model that is not allowed, without calling the upstream', async () => {
    const { error } = await collect(source(), undefined, { model: 'gpt-expensive' });
    assert.match(String(error?.message), /model "gpt-expensive" is not offered/);
    assert.equal(upstream.requests.length, 0);
  });

  it('caps maxTokens at the configured maximum', async () => {
    await collect(source({ maxTokens: 20 }), undefined, { maxTokens: 500 });
    assert.equal(upstream.requests[0]?.body.max_tokens, 20);
  });

  it("maps finish_reason 'length' to 'length'", async () => {
    upstream.scripts.push(answer(['cut'], { finish: 'length' }));
    const { result } = await collect(source());
    assert.equal(result?.finishReason, 'length');
  });

  it('waits for a slow first token', async () => {
    upstream.scripts.push(async (res) => {
      startSse(res);
      await sleep(300);
      res.write(chunk('late'));
      res.write(chunk(null, 'stop'));
      res.write(usageChunk(1, 1));
      res.end(DONE);
    });
    const { chunks, result } = await collect(source());
    assert.deepEqual(chunks, ['late']);
    assert.equal(result?.finishReason, 'stop');
  });

  it('gives up on an upstream that stalls, with a clear error, and drops the request', async () => {
    let closed: Promise<{ aborted: boolean }> | undefined;
    upstream.scripts.push((res, request) => {
      closed = request.closed;
      startSse(res);
      res.write(chunk('first'));
      // …and then nothing, ever.
    });
    const { chunks, error } = await collect(source({ idleTimeoutMs: 200 }));
    assert.deepEqual(chunks, ['first']);
    assert.match(String(error?.message), /upstream sent nothing for 200 ms/);
    assert.deepEqual(await closed, { aborted: true });
  });

  it('gives up on an upstream that never answers the request', async () => {
    upstream.scripts.push(() => {});
    const { error } = await collect(source({ idleTimeoutMs: 200 }));
    assert.match(String(error?.message), /upstream (sent nothing|did not answer)/);
  });

  for (const [status, text] of [
    [401, 'Incorrect API key provided: sk-test.'],
    [500, 'The server had an error while processing your request.'],
    [429, 'Rate limit reached for requests'],
  ] as const) {
    it(`fails with the status and upstream message on HTTP ${status} before streaming`, async () => {
      upstream.scripts.push(errorStatus(status, text));
      const { chunks, error } = await collect(source());
      assert.deepEqual(chunks, []);
      assert.equal(error?.message, `upstream answered HTTP ${status}: ${text}`);
      assert.equal(upstream.requests.length, 1, 'a failed streaming request is not retried');
    });
  }

  it('fails with the upstream message on an error event mid-stream', async () => {
    upstream.scripts.push((res) => {
      startSse(res);
      res.write(chunk('partial'));
      res.end(
        `data: ${JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } })}\n\n`,
      );
    });
    const { chunks, error } = await collect(source());
    assert.deepEqual(chunks, ['partial']);
    assert.equal(error?.message, 'upstream reported an error mid-stream: model overloaded');
  });

  it('fails clearly when the connection is reset mid-stream', async () => {
    upstream.scripts.push(async (res) => {
      startSse(res);
      // Reset once the chunk is on its way (handed to the socket), not after a while.
      await new Promise((resolve) => res.write(chunk('partial'), resolve));
      res.socket?.destroy();
    });
    const { chunks, error } = await collect(source());
    assert.deepEqual(chunks, ['partial']);
    assert.match(String(error?.message), /^upstream stream broke: /);
  });

  it('fails when the stream ends without a finish reason', async () => {
    upstream.scripts.push((res) => {
      startSse(res);
      res.write(chunk('partial'));
      res.end();
    });
    const { error } = await collect(source());
    assert.equal(error?.message, 'upstream closed the stream before the answer finished');
  });

  it('fails clearly when nothing listens at the base URL', async () => {
    const dead = createOpenAISource({ model: 'm', baseURL: 'http://127.0.0.1:1/v1' });
    const { error } = await collect(dead);
    assert.match(String(error?.message), /^could not reach the upstream/);
  });

  it('aborts the upstream request on cancel', async () => {
    let closed: Promise<{ aborted: boolean }> | undefined;
    upstream.scripts.push(async (res, request) => {
      closed = request.closed;
      await longAnswer(res);
    });
    const cancel = new AbortController();
    const chunks: SourceChunk[] = [];
    // Cancelled as the first token arrives, as a user's stop would.
    await streamChunks(
      source(),
      { messages: [{ role: 'user', content: 'go' }], params: {}, signal: cancel.signal },
      (c) => {
        chunks.push(c);
        cancel.abort();
      },
    );
    assert.deepEqual(chunks, ['t0 ']);
    assert.deepEqual(await closed, { aborted: true });
  });

  it('rejects bad options at construction', () => {
    assert.throws(() => createOpenAISource({ model: '' }), /model is required/);
    assert.throws(
      () => createOpenAISource({ model: 'm', idleTimeoutMs: 0 }),
      /idleTimeoutMs must be a positive/,
    );
    assert.throws(
      () => createOpenAISource({ model: 'm', baseURL: 'nope' }),
      /baseURL must be an http\(s\) URL/,
    );
  });
});

describe('OpenAI-compatible source through the chat server', () => {
  let upstream: FakeUpstream;
  let server: DevServer;
  let wsUrl: string;

  before(async () => {
    upstream = await FakeUpstream.start();
    server = await startDevServer({
      port: 0,
      source: createOpenAISource({ model: 'fake-model', baseURL: upstream.baseURL, idleTimeoutMs: 2000 }),
      // The first test sends its own system prompt; servers refuse that unless allowed.
      params: { systemPrompt: { allowed: true, maxLength: 100 } },
    });
    wsUrl = wsUrlOf(server);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('streams the upstream answer as deltas and ends with its usage; the next turn carries the history', async () => {
    upstream.scripts.push(answer(['Hi', ' there'], { usage: [5, 2] }), answer(['Again']));
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'a', text: 'hello', params: { system: 'Be kind.' } });
    const done = await client.waitFor(isType('done'));
    const deltas = client.frames.filter(isType('delta'));
    assert.deepEqual(
      deltas.map((d) => [d.seq, d.text]),
      [
        [1, 'Hi'],
        [2, ' there'],
      ],
    );
    assert.deepEqual(done.usage, { promptTokens: 5, completionTokens: 2 });
    assert.equal(done.finishReason, 'stop');

    const from = client.frames.length;
    client.send({ type: 'send', clientMsgId: 'b', text: 'and again' });
    await client.waitFor(isType('done'), { from });
    assert.deepEqual(upstream.requests[1]?.body.messages, [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi there' },
      { role: 'user', content: 'and again' },
    ]);
    assert.deepEqual(upstream.requests[0]?.body.messages[0], { role: 'system', content: 'Be kind.' });
    client.close();
  });

  it('turns an upstream error status into a source_failed error and done(error)', async () => {
    upstream.scripts.push(errorStatus(401, 'Incorrect API key provided.'));
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'x', text: 'hello' });
    const error = await client.waitFor(isType('error'));
    assert.equal(error.code, 'source_failed');
    assert.match(error.message, /HTTP 401: Incorrect API key provided\./);
    const done = await client.waitFor(isType('done'));
    assert.equal(done.finishReason, 'error');
    assert.equal(done.messageId, error.messageId);
    client.close();
  });

  it('ends a reset stream with source_failed and done(error), keeping the partial text', async () => {
    upstream.scripts.push(async (res) => {
      startSse(res);
      res.write(chunk('par'));
      // Reset once both chunks are on their way (handed to the socket), not after a while.
      await new Promise((resolve) => res.write(chunk('tial'), resolve));
      res.socket?.destroy();
    });
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'r', text: 'hello' });
    const error = await client.waitFor(isType('error'));
    assert.equal(error.code, 'source_failed');
    const done = await client.waitFor(isType('done'));
    assert.equal(done.finishReason, 'error');
    assert.equal(done.seq, 2);
    client.close();
  });

  it('ends a stalled upstream with source_failed instead of hanging', async () => {
    upstream.scripts.push((res) => startSse(res));
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 's', text: 'hello' });
    const error = await client.waitFor(isType('error'));
    assert.match(error.message, /upstream sent nothing for 2000 ms/);
    assert.equal((await client.waitFor(isType('done'))).finishReason, 'error');
    client.close();
  });

  it('cancel ends the answer as cancelled and aborts the upstream request', async () => {
    let closed: Promise<{ aborted: boolean }> | undefined;
    upstream.scripts.push(async (res, request) => {
      closed = request.closed;
      await longAnswer(res);
    });
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'c', text: 'long' });
    const start = await client.waitFor(isType('start'));
    await client.waitFor(isType('delta', (d) => d.seq === 3));
    client.send({ type: 'cancel', messageId: start.messageId });
    const done = await client.waitFor(isType('done'));
    assert.equal(done.finishReason, 'cancelled');
    assert.deepEqual(await closed, { aborted: true });
    client.close();
  });
});
