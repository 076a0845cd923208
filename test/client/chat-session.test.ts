/**
 * ChatSession (the widget's protocol client) against a scripted server:
 * rules PROTOCOL.md gives the client that the real server never provokes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { ChatSession } from '../../src/widget/chat-session.js';

interface Scripted {
  url: string;
  received: Record<string, unknown>[];
  server: WebSocketServer;
}

const open: { session?: ChatSession; server?: WebSocketServer }[] = [];
afterEach(() => {
  for (const { session, server } of open.splice(0)) {
    session?.close();
    for (const c of server?.clients ?? []) c.terminate();
    server?.close();
  }
});

/** A server that welcomes with `welcome` overrides and hands every later frame to `onFrame`. */
async function scripted(
  welcome: Record<string, unknown>,
  onFrame: (frame: Record<string, unknown>, reply: (f: object) => void) => void = () => {},
): Promise<Scripted> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const received: Record<string, unknown>[] = [];
  server.on('connection', (socket) => {
    const reply = (f: object) => socket.send(JSON.stringify(f));
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      received.push(frame);
      if (frame.type === 'hello') {
        reply({
          type: 'welcome',
          v: 1,
          sessionId: 's',
          conversationId: 'c',
          heartbeatMs: 60_000,
          limits: { maxTextLength: 1000, maxFrameBytes: 4096 },
          history: [],
          active: [],
          ...welcome,
        });
      } else onFrame(frame, reply);
    });
  });
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, received, server };
}

function session(url: string, statuses: string[] = []): ChatSession {
  const s = new ChatSession(
    undefined,
    {
      url: () => url,
      onChange: () => {},
      onStatus: (status, detail) => statuses.push(`${status}:${detail}`),
      onProtocolError: () => {},
    },
    { WebSocket, backoff: { baseMs: 5, maxMs: 20 }, ackTimeoutMs: 100 },
  );
  return s;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ChatSession', () => {
  it('sends an unacknowledged message again, with the same clientMsgId, until it is acknowledged', async () => {
    let sends = 0;
    const server = await scripted({}, (frame, reply) => {
      if (frame.type !== 'send') return;
      sends++;
      // The first two sends are lost (as under a rate limit); the third is acknowledged.
      if (sends === 3) reply({ type: 'ack', clientMsgId: frame.clientMsgId, messageId: 'm_1' });
    });
    const s = session(server.url);
    open.push({ session: s, server: server.server });
    s.open();
    const message = s.send('hello');
    await until(() => message.status === 'done', 'the ack');
    const ids = server.received.filter((f) => f.type === 'send').map((f) => f.clientMsgId);
    assert.equal(ids.length, 3);
    assert.ok(ids.every((id) => id === message.clientMsgId));
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(server.received.filter((f) => f.type === 'send').length, 3, 'no resend after the ack');
  });

  it("refuses locally a message over the server's limits instead of sending it", async () => {
    const server = await scripted({ limits: { maxTextLength: 10, maxFrameBytes: 4096 } });
    const s = session(server.url);
    open.push({ session: s, server: server.server });
    s.open();
    await until(() => s.connection.isWelcomed, 'welcome');
    const long = s.send('x'.repeat(11));
    const fine = s.send('short');
    assert.equal(long.status, 'failed');
    assert.match(long.error ?? '', /11 characters; the limit is 10/);
    assert.equal(fine.status, 'sent');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      server.received.filter((f) => f.type === 'send').map((f) => f.text),
      ['short'],
    );
  });

  it('PROTOCOL.md 4.1: counts maxTextLength in code points, an emoji as one', async () => {
    const server = await scripted({ limits: { maxTextLength: 10, maxFrameBytes: 4096 } });
    const s = session(server.url);
    open.push({ session: s, server: server.server });
    s.open();
    await until(() => s.connection.isWelcomed, 'welcome');
    const fits = s.send('😀'.repeat(10));
    const over = s.send('😀'.repeat(11));
    assert.equal(fits.status, 'sent');
    assert.equal(over.status, 'failed');
    assert.match(over.error ?? '', /11 characters; the limit is 10/);
  });

  it('PROTOCOL.md 2: a frame of a type it does not know is ignored, not reported', async () => {
    const errors: string[] = [];
    const server = await scripted({}, (frame, reply) => {
      if (frame.type !== 'send') return;
      reply({ type: 'from-the-future', x: 1 });
      reply({ type: 'ack', clientMsgId: frame.clientMsgId, messageId: 'm_1' });
    });
    const s = new ChatSession(
      undefined,
      {
        url: () => server.url,
        onChange: () => {},
        onStatus: () => {},
        onProtocolError: (message) => errors.push(message),
      },
      { WebSocket },
    );
    open.push({ session: s, server: server.server });
    s.open();
    const message = s.send('hello');
    await until(() => message.status === 'done', 'the ack');
    assert.deepEqual(errors, []);
  });

  it('PROTOCOL.md 5: without a welcome in time it closes with 4000 and says hello again', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    const closes: number[] = [];
    let hellos = 0;
    server.on('connection', (socket) => {
      socket.on('message', () => hellos++); // and never welcomes
      socket.on('close', (code) => closes.push(code));
    });
    const { port } = server.address() as { port: number };
    const s = new ChatSession(
      undefined,
      {
        url: () => `ws://127.0.0.1:${port}`,
        onChange: () => {},
        onStatus: () => {},
        onProtocolError: () => {},
      },
      { WebSocket, backoff: { baseMs: 5, maxMs: 20 }, welcomeTimeoutMs: 100 },
    );
    open.push({ session: s, server });
    s.open();
    await until(() => hellos >= 3, 'three hellos');
    assert.ok(closes.length >= 2 && closes.every((code) => code === 4000), `closes: ${closes}`);
  });

  it('stops, with the reason, when the server speaks another protocol version', async () => {
    const server = await scripted({ v: 2 });
    const closes: number[] = [];
    server.server.on('connection', (socket) => socket.on('close', (code) => closes.push(code)));
    const statuses: string[] = [];
    const s = session(server.url, statuses);
    open.push({ session: s, server: server.server });
    s.open();
    await until(() => statuses.some((x) => x.startsWith('stopped:')), 'stopped');
    assert.match(statuses.find((x) => x.startsWith('stopped:')) ?? '', /protocol version 2, not 1/);
    assert.equal(s.connection.isWelcomed, false);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.received.filter((f) => f.type === 'hello').length, 1, 'no reconnect');
    assert.deepEqual(closes, [4505], 'PROTOCOL.md 8: the client closes with 4505');
  });
});
