import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { isType, Peer } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { createSessionToken } from '../../src/server/auth/session-token.js';
import { type ChatServerOptions, createChatServer } from '../../src/server/chat-server.js';
import { upgradeStatus, welcomed, withServer, wsUrlOf } from '../helpers/kit.js';

const SECRET = 'another-test-secret-long-enough-for-hmac-0123';
const ORIGIN = 'https://app.example';

interface Session {
  conversationId: string;
  token: string;
  expiresAt: number;
}

describe('session tokens and the origin allow-list', () => {
  let server: DevServer;
  let wsUrl: string;

  before(async () => {
    server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
      auth: { secret: SECRET, ttlMs: 60_000 },
      allowedOrigins: [ORIGIN, 'http://localhost:5173'],
    });
    wsUrl = wsUrlOf(server);
  });
  after(() => server.close());

  async function postSession(
    body?: unknown,
    origin = ORIGIN,
  ): Promise<{ status: number; headers: Headers; json: unknown }> {
    const res = await fetch(`${server.url}/session`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: await res.json() };
  }

  async function session(): Promise<Session> {
    const res = await postSession();
    assert.equal(res.status, 200);
    return res.json as Session;
  }

  it('POST /session issues a conversation id and a token, with CORS for an allowed origin', async () => {
    const res = await postSession();
    assert.equal(res.status, 200);
    const body = res.json as Session;
    assert.match(body.conversationId, /^c_/);
    assert.equal(typeof body.token, 'string');
    assert.ok(body.expiresAt > Date.now());
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('POST /session refuses an origin outside the allow-list', async () => {
    assert.equal((await postSession(undefined, 'https://evil.example')).status, 403);
  });

  it('POST /session answers 413 to a body over 8 KiB, rather than cutting the connection', async () => {
    const res = await postSession({ token: 'x'.repeat(9000) });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { error: 'body too large' });
  });

  it('answers the CORS preflight', async () => {
    const res = await fetch(`${server.url}/session`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(String(res.headers.get('access-control-allow-methods')), /POST/);
  });

  it('refuses upgrades with no, a forged or an expired token with 401, before any WebSocket', async () => {
    const { token, conversationId } = await session();
    const forged = `${Buffer.from(JSON.stringify({ c: conversationId, e: Date.now() + 1e9 })).toString('base64url')}.${token.split('.')[1]}`;
    const expired = createSessionToken({ conversationId, expiresAt: Date.now() - 1 }, SECRET);
    const headers = { origin: ORIGIN };
    assert.equal(await upgradeStatus(wsUrl, headers), 401);
    assert.equal(await upgradeStatus(`${wsUrl}?token=garbage`, headers), 401);
    assert.equal(await upgradeStatus(`${wsUrl}?token=${forged}`, headers), 401);
    assert.equal(await upgradeStatus(`${wsUrl}?token=${expired}`, headers), 401);
    assert.equal(await upgradeStatus(`${wsUrl}?token=${token}`, headers), 101);
  });

  it('refuses upgrades from an origin outside the allow-list, or with none, with 403', async () => {
    const { token } = await session();
    assert.equal(await upgradeStatus(`${wsUrl}?token=${token}`, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(`${wsUrl}?token=${token}`), 403);
    assert.equal(await upgradeStatus(`${wsUrl}?token=${token}`, { origin: 'http://localhost:5173' }), 101);
  });

  it('a good token opens its own conversation and streams; renewing keeps the conversation', async () => {
    const mine = await session();
    const client = new Peer(`${wsUrl}?token=${mine.token}`, { origin: ORIGIN });
    await once(client.socket, 'open');
    client.send({ type: 'hello', v: 1 });
    const welcome = await client.waitFor(isType('welcome'));
    assert.equal(welcome.conversationId, mine.conversationId);
    client.send({ type: 'send', clientMsgId: 'a', text: 'hello' });
    assert.equal((await client.waitFor(isType('done'))).finishReason, 'stop');
    client.close();

    const renewed = await postSession({ token: mine.token });
    assert.equal(renewed.status, 200);
    assert.equal((renewed.json as Session).conversationId, mine.conversationId);
    const again = new Peer(`${wsUrl}?token=${(renewed.json as Session).token}`, { origin: ORIGIN });
    await once(again.socket, 'open');
    again.send({ type: 'hello', v: 1, conversationId: mine.conversationId });
    const back = await again.waitFor(isType('welcome'));
    assert.equal(back.history.length, 2, 'the history comes back');
    again.close();
  });

  it('refuses renewing a forged token', async () => {
    const forged = createSessionToken(
      { conversationId: 'c_victim', expiresAt: Date.now() + 1000 },
      `${SECRET}x`,
    );
    assert.equal((await postSession({ token: forged })).status, 401);
  });

  it("refuses someone else's conversation and messages", async () => {
    const victim = await session();
    const attacker = await session();
    const v = await welcomed(`${wsUrl}?token=${victim.token}`, { headers: { origin: ORIGIN } });
    v.send({ type: 'send', clientMsgId: 'secret', text: 'my secret question' });
    const victimDone = await v.waitFor(isType('done'));

    const a = new Peer(`${wsUrl}?token=${attacker.token}`, { origin: ORIGIN });
    await once(a.socket, 'open');
    a.send({ type: 'hello', v: 1, conversationId: victim.conversationId });
    const refused = await a.waitFor(isType('error'));
    assert.equal(refused.code, ErrorCode.Forbidden);
    assert.equal(refused.retryable, false);
    assert.equal(a.frames.filter(isType('welcome')).length, 0, 'no welcome, so no history');
    assert.equal(
      await a.waitForClose(),
      CloseCode.Forbidden,
      'a 45xx close: the client stops, no reconnect loop',
    );

    // Its own conversation opens, but resuming or cancelling the victim's message finds nothing.
    const b = new Peer(`${wsUrl}?token=${attacker.token}`, { origin: ORIGIN });
    await once(b.socket, 'open');
    b.send({
      type: 'hello',
      v: 1,
      resume: [{ messageId: victimDone.messageId, lastSeq: 0 }],
    });
    const own = await b.waitFor(isType('welcome'));
    assert.equal(own.conversationId, attacker.conversationId);
    assert.deepEqual(own.history, []);
    b.send({ type: 'cancel', messageId: victimDone.messageId });
    assert.equal(
      (await b.waitFor(isType('error', (e) => e.code !== ErrorCode.Forbidden))).code,
      ErrorCode.UnknownMessage,
    );
    b.send({ type: 'ping' });
    await b.waitFor(isType('pong'));
    assert.equal(
      b.frames.some(
        (f) => (f.type === 'delta' || f.type === 'snapshot') && f.messageId === victimDone.messageId,
      ),
      false,
      "nothing of the victim's answer reaches the attacker",
    );
    b.close();
    v.close();
  });

  it("closes with 4001 'token expired' when the token runs out while connected", async () => {
    const short = createSessionToken({ conversationId: 'c_short', expiresAt: Date.now() + 1500 }, SECRET);
    const client = await welcomed(`${wsUrl}?token=${short}`, { headers: { origin: ORIGIN } });
    assert.equal(await client.waitForClose(), CloseCode.TokenExpired);
  });
});

describe('without auth options', () => {
  it('has no session endpoint and accepts upgrades without a token', async () => {
    await withServer({ source: createMockSource() }, async (url, server) => {
      assert.equal((await fetch(`${server.url}/session`, { method: 'POST' })).status, 404);
      assert.equal(await upgradeStatus(url), 101);
    });
  });

  it('rejects bad auth and origin options with a TypeError', () => {
    const source = createMockSource();
    const bad: [ChatServerOptions, RegExp][] = [
      [{ source, auth: { secret: 'short' } }, /auth.secret must be at least 32 bytes/],
      [{ source, auth: { secret: SECRET, ttlMs: -1 } }, /auth.ttlMs must be a positive integer/],
      [{ source, allowedOrigins: ['example.com'] }, /allowedOrigins: "example.com" is not an origin/],
      [{ source, allowedOrigins: ['https://example.com/path'] }, /is not an origin/],
    ];
    for (const [options, message] of bad) assert.throws(() => createChatServer(options), message);
  });
});
