import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { runConformance } from '../../src/conformance/checks.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { withServer, wsUrlOf } from '../helpers/kit.js';

describe('conformance checker', () => {
  let server: DevServer;
  let wsUrl: string;
  before(async () => {
    server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: 2000, sections: 2 }),
    });
    wsUrl = wsUrlOf(server);
  });
  after(() => server.close());

  it('our server passes every check', async () => {
    const results = await runConformance({ url: wsUrl, timeoutMs: 5000 });
    assert.ok(results.length >= 18);
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [],
    );
  });

  it('a server with the interrupt follow-up policy passes every check too', async () => {
    const options = {
      source: createMockSource({ tokensPerSecond: 2000, sections: 2 }),
      followUp: 'interrupt' as const,
    };
    await withServer(options, async (url) => {
      const results = await runConformance({ url, timeoutMs: 5000 });
      assert.deepEqual(
        results.filter((r) => !r.ok),
        [],
      );
    });
  });

  it('a server that requires session tokens passes every check through --session-url', async () => {
    const options = {
      source: createMockSource({ tokensPerSecond: 2000, sections: 2 }),
      auth: { secret: 'x'.repeat(32) },
    };
    await withServer(options, async (url, guarded) => {
      const withoutSession = await runConformance({ url, timeoutMs: 2000 });
      assert.ok(
        withoutSession.every((r) => !r.ok),
        'without a token every check fails (upgrades are refused)',
      );
      const results = await runConformance({ url, sessionUrl: `${guarded.url}/session`, timeoutMs: 5000 });
      assert.deepEqual(
        results.filter((r) => !r.ok),
        [],
      );
    });
  });

  it('npm run conformance prints the list and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/conformance/cli.ts', wsUrl], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, out);
    assert.match(out, /^PASS {2}§5 handshake: hello is answered by a valid welcome$/m);
    assert.match(out, /checks passed/);
  });

  it('a server that skips a seq, splits a character and accepts frames before hello fails those checks', async () => {
    const broken = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    broken.on('connection', (socket) => {
      socket.on('message', (data) => {
        let frame: { type?: string; clientMsgId?: string };
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return; // this server ignores what it cannot parse
        }
        const send = (f: object) => socket.send(JSON.stringify(f));
        if (frame.type === 'hello') {
          send({
            type: 'welcome',
            v: 1,
            sessionId: 's',
            conversationId: 'c',
            heartbeatMs: 1000,
            limits: { maxTextLength: 100, maxFrameBytes: 1000 },
            history: [],
            active: [],
          });
        } else if (frame.type === 'send') {
          send({ type: 'ack', clientMsgId: frame.clientMsgId, messageId: 'm_u' });
          send({ type: 'start', messageId: 'm_a', replyTo: 'm_u' });
          send({ type: 'delta', messageId: 'm_a', seq: 1, text: 'a\ud83d' });
          send({ type: 'delta', messageId: 'm_a', seq: 3, text: 'c' });
          send({ type: 'done', messageId: 'm_a', seq: 3, finishReason: 'stop', usage: null });
        }
      });
    });
    await once(broken, 'listening');
    try {
      const { port } = broken.address() as { port: number };
      const results = await runConformance({ url: `ws://127.0.0.1:${port}`, timeoutMs: 500 });
      const failed = new Set(results.filter((r) => !r.ok).map((r) => r.name));
      assert.ok(failed.has('§3 §6 stream: ack, start, gapless deltas from seq 1, done with the last seq'));
      assert.ok(failed.has('§5.1 handshake: frames before hello are refused with bad_state'));
      assert.ok(failed.has('§2 handshake: an unsupported version closes with a 4500+ code'));
      assert.ok(failed.has('§5.1 handshake: ping before hello is answered with pong, not bad_state'));
      assert.ok(
        failed.has('§3 whole characters: no delta, snapshot or user text in any check split a character'),
      );
      assert.ok(
        results.some((r) => r.ok),
        'checks it meets still pass',
      );
    } finally {
      for (const c of broken.clients) c.terminate();
      broken.close();
    }
  });
});
