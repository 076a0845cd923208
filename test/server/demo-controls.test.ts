/**
 * The dev server's `--demo-controls` (slow network, drop every connection),
 * over real sockets: off by default, validated, and neither a delay nor a
 * drop loses or cancels anything.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { parseCliOptions } from '../../src/cli/cli-options.js';
import { isType } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import type { ServerFrame } from '../../src/protocol/index.js';
import { startCli } from '../helpers/cli.js';
import { answerText } from '../helpers/frames.js';
import { welcomed, wsUrlOf } from '../helpers/kit.js';

const servers: DevServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(demoControls: boolean, rate = 150): Promise<DevServer> {
  const s = await startDevServer({
    port: 0,
    source: createMockSource({ seed: 5, tokensPerSecond: rate, sections: 2 }),
    demoControls,
  });
  servers.push(s);
  return s;
}

interface Reply {
  status: number;
  body: string;
}

function call(
  s: DevServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(s.url, { path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The text the deltas of `messageId` carry, each right after the last (from what `held` says), and no snapshot. */
function exactText(frames: ServerFrame[], messageId: string, held?: { text: string; seq: number }): string {
  const answer = answerText(frames, messageId, { held, strict: true });
  assert.equal(answer.snapshots, 0, 'expected an exact replay');
  return answer.text;
}

describe('demo controls (dev server --demo-controls)', () => {
  it('are off by default: the endpoints answer 404 and the CLI flag defaults to false', async () => {
    const s = await server(false);
    assert.equal((await call(s, 'POST', '/demo/network', '{"delayMs":300}')).status, 404);
    assert.equal((await call(s, 'GET', '/demo/network')).status, 404);
    assert.equal((await call(s, 'POST', '/demo/drop', '{}')).status, 404);
    assert.equal(parseCliOptions([], {}).demoControls, false);
    assert.equal(parseCliOptions(['--demo-controls'], {}).demoControls, true);
    // And a socket is not dropped by a request the server does not serve.
    const client = await welcomed(wsUrlOf(s));
    await call(s, 'POST', '/demo/drop', '{}');
    client.send({ type: 'ping' });
    await client.waitFor(isType('pong'));
    client.close();
  });

  it('reject bad input with 400 and a message, and foreign pages with 403', async () => {
    const s = await server(true);
    for (const body of [
      '{"delayMs":-1}',
      '{"delayMs":1.5}',
      '{"delayMs":"300"}',
      '{"delayMs":10001}',
      '{}',
    ]) {
      const reply = await call(s, 'POST', '/demo/network', body);
      assert.equal(reply.status, 400, body);
      assert.match(JSON.parse(reply.body).error, /delayMs must be an integer from 0 to 10000/, body);
    }
    const notJson = await call(s, 'POST', '/demo/network', 'delayMs=3');
    assert.equal(notJson.status, 400);
    assert.match(JSON.parse(notJson.body).error, /body must be JSON/);
    assert.equal(
      (await call(s, 'POST', '/demo/network', '{"delayMs":3}', { 'content-type': 'text/plain' })).status,
      415,
    );
    assert.equal(
      (
        await call(s, 'POST', '/demo/drop', '{}', {
          'content-type': 'application/json',
          origin: 'https://evil.example',
        })
      ).status,
      403,
    );
    assert.equal((await call(s, 'GET', '/demo/drop')).status, 405);
    assert.equal(
      (await call(s, 'POST', '/demo/network', JSON.stringify({ pad: 'x'.repeat(2000) }))).status,
      413,
    );
    assert.deepEqual(JSON.parse((await call(s, 'GET', '/demo/network')).body), { delayMs: 0 });
  });

  it('drop terminates every socket mid-answer; the generation goes on and a resuming client gets exactly the answer', async () => {
    const s = await server(true);
    const url = wsUrlOf(s);
    const first = await welcomed(url);
    const bystander = await welcomed(url);
    const welcome = first.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    first.send({ type: 'send', clientMsgId: 'q', text: 'tell me more' });
    const start = await first.waitFor(isType('start'));
    await first.waitFor(isType('delta', (d) => d.seq === 10));

    const reply = await call(s, 'POST', '/demo/drop', '{}');
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { dropped: 2 });
    assert.equal(await first.waitForClose(), 1006, 'abrupt: no close frame');
    assert.equal(await bystander.waitForClose(), 1006);
    const held = first.frames.filter(isType('delta'));
    const lastSeq = held.at(-1)?.seq ?? 0;
    assert.equal(first.frames.some(isType('done')), false, 'the drop came mid-answer');

    const second = await welcomed(url, {
      hello: {
        conversationId: welcome.conversationId,
        resume: [{ messageId: start.messageId, lastSeq }],
      },
    });
    const done = await second.waitFor(isType('done'));
    assert.equal(done.finishReason, 'stop', 'a drop never cancels the answer');
    const whole = exactText(second.frames, start.messageId, {
      text: held.map((d) => d.text).join(''),
      seq: lastSeq,
    });
    assert.equal(whole, mockAnswerFor('tell me more', 0, 5, 2));
    second.close();
  });

  it('a delay holds every frame back, in order, and loses nothing, also when it is turned off mid-answer', async () => {
    const s = await server(true, 100);
    const delayMs = 40;
    assert.deepEqual(JSON.parse((await call(s, 'POST', '/demo/network', JSON.stringify({ delayMs }))).body), {
      delayMs,
    });
    const client = await welcomed(wsUrlOf(s));
    const question = `/echo ${'one **two** three `four` five. '.repeat(12)}`;
    const sentAt = performance.now();
    client.send({ type: 'send', clientMsgId: 'q', text: question });
    const start = await client.waitFor(isType('start'));
    await client.waitFor(isType('delta', (d) => d.seq === 5));
    // user, ack, start and five deltas each waited for the delay, one after the other.
    const elapsed = performance.now() - sentAt;
    assert.ok(elapsed >= 7 * delayMs - 7, `seven delayed frames took only ${elapsed.toFixed(0)} ms`);
    // The source makes a token every 10 ms, four times faster than the delay lets
    // frames out, so frames are queued: turning the delay off must not let the
    // tokens made from now on overtake them.
    assert.equal((await call(s, 'POST', '/demo/network', '{"delayMs":0}')).status, 200);
    const done = await client.waitFor(isType('done'), { timeoutMs: 30_000 });
    assert.equal(done.finishReason, 'stop');
    assert.equal(exactText(client.frames, start.messageId), mockAnswerFor(question, 0, 5, 2));
    const types = client.frames.map((f) => f.type);
    assert.deepEqual(types.slice(0, 4), ['welcome', 'user', 'ack', 'start']);
    assert.equal(types.at(-1), 'done');
    client.close();
  });

  it('the CLI passes --demo-controls through to the server', async () => {
    const { child, url: base } = await startCli(['--port', '0', '--demo-controls']);
    try {
      const fake = { url: base } as DevServer;
      assert.deepEqual(JSON.parse((await call(fake, 'GET', '/demo/network')).body), { delayMs: 0 });
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
});
