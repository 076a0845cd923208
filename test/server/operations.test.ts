import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isType, Peer } from '../../src/conformance/peer.js';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';

/** Reads one sample from a Prometheus text exposition. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GET /healthz and GET /metrics', () => {
  it('report health, connections, streams, tokens, closes and refusals', async () => {
    const server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
      maxConnections: 1,
      // A delta per token, so the answer's last seq counts its tokens.
      deltaWindowMs: 0,
    });
    try {
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');

      const client = new Peer(`${server.url.replace(/^http/, 'ws')}/ws`);
      await new Promise((resolve) => client.socket.once('open', resolve));
      client.send({ type: 'hello', v: 1 });
      await client.waitFor(isType('welcome'));
      client.send({ type: 'send', clientMsgId: 'm', text: 'count me' });
      const done = await client.waitFor(isType('done'));

      const refused = new Peer(`${server.url.replace(/^http/, 'ws')}/ws`);
      await new Promise((resolve) => refused.socket.once('error', resolve));

      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.equal(sample(text, 'ai_chat_connections'), 1);
      assert.equal(sample(text, 'ai_chat_active_streams'), 0);
      assert.equal(sample(text, 'ai_chat_tokens_total'), done.seq);
      assert.equal(sample(text, 'ai_chat_generations_total{outcome="stop"}'), 1);
      assert.equal(sample(text, 'ai_chat_upgrades_refused_total{status="503"}'), 1);
      assert.match(text, /# TYPE ai_chat_tokens_total counter/);

      client.close();
      await client.waitForClose();
      await new Promise((r) => setTimeout(r, 50));
      const after = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(sample(after, 'ai_chat_connections'), 0);
      assert.equal(sample(after, 'ai_chat_closes_total{code="1006"}'), 1);
    } finally {
      await server.close();
    }
  });

  it('count error frames by code and resumes by how they were served', async () => {
    const server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
    });
    const url = `${server.url.replace(/^http/, 'ws')}/ws`;
    try {
      const client = await Peer.connect(url);
      client.sendRaw('{not json');
      client.sendRaw('{not json');
      client.send({ type: 'cancel', messageId: 'm_nope' });
      client.send({ type: 'hello', v: 1 });
      const welcome = await client.waitFor(isType('welcome'));
      client.send({ type: 'send', clientMsgId: 'm', text: 'resume me' });
      const done = await client.waitFor(isType('done'));
      client.close();
      const again = await Peer.connect(url);
      again.send({
        type: 'hello',
        v: 1,
        conversationId: welcome.conversationId,
        resume: [
          { messageId: done.messageId, lastSeq: 1 },
          { messageId: 'm_unknown', lastSeq: 0 },
        ],
      });
      await again.waitFor(isType('done'));
      await again.waitFor(isType('error', (e) => e.messageId === 'm_unknown'));
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(sample(text, 'ai_chat_error_frames_total{code="bad_json"}'), 2);
      assert.equal(sample(text, 'ai_chat_error_frames_total{code="bad_state"}'), 1);
      assert.equal(sample(text, 'ai_chat_error_frames_total{code="unknown_message"}'), 1);
      assert.equal(sample(text, 'ai_chat_resumes_total{result="deltas"}'), 1);
      assert.equal(sample(text, 'ai_chat_resumes_total{result="unknown"}'), 1);
      assert.equal(sample(text, 'ai_chat_resumes_total{result="snapshot"}'), undefined);
      again.close();
    } finally {
      await server.close();
    }
  });

  it("time answers in histograms beside Node's process metrics, per server", async () => {
    const server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
      // A delta per token, so the answer's last seq counts its tokens.
      deltaWindowMs: 0,
    });
    const other = await startDevServer({ port: 0, source: createMockSource() });
    try {
      const client = await Peer.connect(`${server.url.replace(/^http/, 'ws')}/ws`);
      client.send({ type: 'hello', v: 1 });
      await client.waitFor(isType('welcome'));
      client.send({ type: 'send', clientMsgId: 'm', text: 'time me' });
      const done = await client.waitFor(isType('done'));
      client.close();
      const chunks = done.seq;
      assert.ok(chunks > 1);

      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(sample(text, 'ai_chat_tokens_total'), chunks);
      assert.match(text, /# TYPE ai_chat_time_to_first_token_seconds histogram/);
      assert.equal(sample(text, 'ai_chat_time_to_first_token_seconds_count'), 1);
      assert.equal(sample(text, 'ai_chat_time_to_first_token_seconds_bucket{le="+Inf"}'), 1);
      assert.equal(sample(text, 'ai_chat_token_latency_seconds_count'), chunks - 1);
      assert.equal(sample(text, 'ai_chat_answer_chunks_count'), 1);
      assert.equal(sample(text, 'ai_chat_answer_chunks_sum'), chunks);
      assert.ok((sample(text, 'ai_chat_answer_characters_sum') ?? 0) >= chunks);
      assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0);
      assert.notEqual(sample(text, 'nodejs_eventloop_lag_seconds'), undefined);

      // A second server in the process: its own counters, the same process metrics.
      const theirs = await (await fetch(`${other.url}/metrics`)).text();
      assert.equal(sample(theirs, 'ai_chat_tokens_total'), 0);
      assert.equal(sample(theirs, 'ai_chat_time_to_first_token_seconds_count'), 0);
      assert.ok((sample(theirs, 'process_resident_memory_bytes') ?? 0) > 0);
    } finally {
      await other.close();
      await server.close();
    }
  });

  it('answer 500 when a metric cannot be read, and recover', async () => {
    const server = await startDevServer({ port: 0, source: createMockSource() });
    try {
      const outboundBytes = server.chat.metrics.outboundBytes;
      server.chat.metrics.outboundBytes = () => {
        throw new Error('unreadable');
      };
      assert.equal((await fetch(`${server.url}/metrics`)).status, 500);
      server.chat.metrics.outboundBytes = outboundBytes;
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(sample(await res.text(), 'ai_chat_outbound_bytes'), 0);
    } finally {
      await server.close();
    }
  });

  it('can be turned off', async () => {
    const server = await startDevServer({ port: 0, source: createMockSource(), operations: false });
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
