/**
 * Sockets that never finish their request: they hold a place under the
 * per-address cap from their first byte, and Node's header and request
 * timeouts close them, so one address cannot hold more than its share
 * however slowly it writes.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { askAndTime, quantile } from '../helpers/bystander.js';
import { upgradeStatus, waitUntil, welcomed, withServer } from '../helpers/kit.js';

const UPGRADE_HEAD =
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n';

interface HeldSocket {
  socket: Socket;
  /** What the server wrote so far. */
  received(): string;
  /** Resolves with what the server wrote before it closed the socket. */
  closed: Promise<string>;
}

function holdSocket(port: number, drip: string | undefined): HeldSocket {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  if (drip) {
    let i = 0;
    // A byte every 200 ms: never done, never silent.
    timer = setInterval(() => socket.write(drip[i++ % drip.length] as string), 200);
  }
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(received);
    }),
  );
  return { socket, received: () => received, closed };
}

describe('slowloris', () => {
  it('unfinished upgrades and silent sockets count toward the per-address cap and time out', {
    timeout: 30_000,
  }, async (t) => {
    const options = {
      source: createMockSource({ seed: 1, tokensPerSecond: 200 }),
      maxConnectionsPerIp: 20,
      headersTimeoutMs: 1500,
      requestTimeoutMs: 2000,
    };
    await withServer(options, async (wsUrl, server) => {
      const port = Number(new URL(server.url).port);
      const bystander = await welcomed(wsUrl);
      const answered = askAndTime(bystander, 'beside a slowloris');
      // 1 bystander + 19 held = the cap of 20; 20 more are refused at once.
      const held = Array.from({ length: 39 }, (_, i) =>
        holdSocket(port, i % 2 === 0 ? UPGRADE_HEAD : undefined),
      );
      const refusedAtOnce = () => held.filter((h) => h.received().startsWith('HTTP/1.1 429')).length;
      await waitUntil(() => refusedAtOnce() === 20, 'the sockets past the cap to be refused');
      assert.equal(
        await upgradeStatus(wsUrl),
        429,
        'a WebSocket past the cap is refused while they are held',
      );
      const answers = await Promise.all(held.map((h) => h.closed));
      const refused = answers.filter((a) => a.startsWith('HTTP/1.1 429')).length;
      const timedOut = answers.filter((a) => a.startsWith('HTTP/1.1 408')).length;
      assert.equal(refused, 20, 'the sockets past the cap are refused with 429');
      assert.equal(timedOut, 19, 'the held ones are closed with 408');
      assert.equal(await upgradeStatus(wsUrl), 101, 'their places are free again');
      const { text, gaps } = await answered;
      assert.equal(text, mockAnswerFor('beside a slowloris', 0, 1, 1));
      const p99 = quantile(gaps, 0.99);
      t.diagnostic(`bystander p99 token gap ${p99.toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms`);
      bystander.close();
    });
  });

  it('a POST /session whose body trickles in is answered 408 and closed', { timeout: 30_000 }, async () => {
    const options = { auth: { secret: 'x'.repeat(32) }, headersTimeoutMs: 500, requestTimeoutMs: 1000 };
    await withServer(options, async (_wsUrl, server) => {
      const port = Number(new URL(server.url).port);
      const body = holdSocket(port, undefined);
      body.socket.write(
        'POST /session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
      const trickle = setInterval(() => body.socket.write(' '), 100);
      const started = Date.now();
      const answer = await body.closed;
      clearInterval(trickle);
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(Date.now() - started < 5000, `closed after ${Date.now() - started} ms`);
    });
  });
});
