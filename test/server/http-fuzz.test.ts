/**
 * Request lines a stranger may send: every route of the server and its upgrade
 * path, with generated targets (including the protocol-relative and absolute
 * forms that once made the process exit), methods and headers. Each one must
 * get an HTTP status, and the process must live on.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { seededRandom } from '../../src/dev-server/sources/random.js';
import { askAndTime, quantile } from '../helpers/bystander.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { welcomed } from '../helpers/kit.js';

const ROUTES = ['/ws', '/session', '/healthz', '/metrics', '/demo/network', '/demo/drop', '/dist/', '/', ''];
const PREFIXES = ['', '/', '//', '///', 'http://', 'http://x', 'https://', 'ws://', '*', '//@', '/\\', '\\'];
const SUFFIXES = [
  '',
  '/',
  '//',
  '@',
  '?',
  '?token=',
  '?token=%',
  '#',
  '%',
  '%zz',
  '%00',
  '%2e%2e/%2e%2e/etc/passwd',
  '/../../package.json',
  '/..%2f..%2fpackage.json',
  ';',
  ':',
  ':99999',
  '\u00e9',
  '%c3%28',
  '?a=1&a=2',
  `/${'a'.repeat(3000)}`,
];
const METHODS = ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'CONNECT', 'get', 'FOO'];
/** Each form the hardening issue reported as killing the process (5 of 5 tries). */
const REPORTED = [
  'GET // HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET //@ HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST // HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  'GET http:// HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET // HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
];

function generated(count: number, seed: number): string[] {
  // Seeded: the same requests on every run, so a failure names a reproducible line.
  const next = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const requests: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = `${pick(PREFIXES)}${pick(ROUTES)}${pick(SUFFIXES)}` || '/';
    const headers = ['Host: 127.0.0.1'];
    if (next() < 0.4) {
      headers.push(
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      );
    }
    if (next() < 0.2) headers.push(`Origin: ${pick(['null', 'http://evil.example', '//', 'http://'])}`);
    const body = next() < 0.3 ? pick(['{}', '{"token":1}', 'not json', '{"token":"x.y"}', '[]']) : '';
    if (body) headers.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
    requests.push(`${pick(METHODS)} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`);
  }
  return requests;
}

/** Sends one raw request; resolves with the status line's code, or 0 if the connection closed without one. */
function statusOf(port: number, request: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    const done = (status: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), 5000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      if (match) done(Number(match[1]));
      else if (head.length > 64) done(0);
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.write(request, 'latin1');
  });
}

describe('HTTP request fuzzing', () => {
  let server: RunningCli;
  let port: number;

  before(async () => {
    server = await startCli(
      ['--port', '0', '--rate', '200', '--require-session', '--demo-controls', '--log-level', 'silent'],
      {
        env: { ...process.env, SESSION_SECRET: 'x'.repeat(32) },
      },
    );
    port = Number(new URL(server.url).port);
  });
  after(() => {
    server.child.kill('SIGKILL');
  });

  it('answers each reported crash request with a status and stays up', async () => {
    for (const request of REPORTED) {
      const status = await statusOf(port, request);
      assert.ok(status >= 100 && status < 600, `no status for ${JSON.stringify(request)}`);
      assert.equal(server.child.exitCode, null, `exited after ${JSON.stringify(request)}`);
    }
  });

  it('answers 3,000 generated requests on every route and the upgrade path with a status', async (t) => {
    const requests = generated(3000, 14);
    const session = (await (await fetch(`${server.url}/session`, { method: 'POST' })).json()) as {
      token: string;
    };
    const bystander = await welcomed(`${server.wsUrl}?token=${session.token}`);
    const answered = askAndTime(bystander, 'amid the fuzzing');
    const statuses = new Map<number, number>();
    const unanswered: string[] = [];
    const concurrency = 16;
    let nextIndex = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (nextIndex < requests.length) {
          const request = requests[nextIndex++] as string;
          const status = await statusOf(port, request);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 0) unanswered.push(request.split('\r\n')[0] as string);
        }
      }),
    );
    const { text, gaps } = await answered;
    bystander.close();
    assert.equal(text, mockAnswerFor('amid the fuzzing', 0, 1, 1), "the bystander's answer is exact");
    const p99 = quantile(gaps, 0.99);
    t.diagnostic(`bystander p99 token gap ${p99.toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms`);
    assert.deepEqual(unanswered.slice(0, 5), [], `${unanswered.length} requests got no status`);
    assert.equal(server.child.exitCode, null, 'the server exited');
    assert.equal(await statusOf(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 200);
    // Every kind of answer came up at least once: the generator reached routes, refusals and misses.
    for (const status of [200, 400, 401, 404])
      assert.ok(statuses.has(status), `no ${status} among ${[...statuses.keys()]}`);
  });
});
