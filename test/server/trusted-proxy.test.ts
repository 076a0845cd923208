/**
 * Behind a reverse proxy: the per-address connection cap counts the clients
 * the proxy forwards, not the proxy, and believes the forwarding header only
 * on connections that come from a trusted proxy.
 *
 * The proxy is a raw TCP forwarder on 127.0.0.1 that appends the address it
 * saw to X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for` does.
 * Clients are told apart by the loopback address they connect from
 * (127.0.0.2, 127.0.0.3: all of 127/8 is loopback on Linux).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { trustProxy } from '../../src/server/transport/trusted-proxy.js';
import { openConnections, waitUntil, withServer } from '../helpers/kit.js';

/** A forwarder to `target`: adds `X-Forwarded-For: <client address>` to each request head (keeping a client's own entries in front). */
async function startForwarder(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      client.pause();
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const seen = client.remoteAddress ?? 'unknown';
      const at = lines.findIndex((line) => /^x-forwarded-for:/i.test(line));
      if (at >= 0) lines[at] = `${lines[at]}, ${seen}`;
      else lines.push(`X-Forwarded-For: ${seen}`);
      const upstream = connect({ port: target, host: '127.0.0.1', localAddress: '127.0.0.1' });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.write(
        Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head.subarray(end + 4)]),
      );
      client.pipe(upstream).pipe(client);
      client.resume();
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.once('error', drop).once('close', drop);
      upstream.once('error', drop).once('close', drop);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a WebSocket from `localAddress`: the open socket, or the HTTP status it was refused with. */
function openFrom(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<WebSocket | number> {
  const socket = new WebSocket(url, { localAddress, headers });
  return new Promise((resolve) => {
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => resolve(socket));
    socket.once('error', () => resolve(0));
  });
}

const statusOf = (result: WebSocket | number): number => (typeof result === 'number' ? result : 101);

async function withProxiedServer(
  trusted: boolean,
  body: (urls: { proxied: string; direct: string; http: string }) => Promise<void>,
): Promise<void> {
  await withServer(
    { maxConnectionsPerIp: 2, ...(trusted ? { trustProxy: { proxies: ['127.0.0.1'] } } : {}) },
    async (direct, server) => {
      const forwarder = await startForwarder(Number(new URL(server.url).port));
      try {
        await body({ proxied: `ws://127.0.0.1:${forwarder.port}/ws`, direct, http: server.url });
      } finally {
        await forwarder.close();
      }
    },
  );
}

describe('behind a trusted proxy', () => {
  it('counts the clients a proxy forwards apart; a client cannot pick its address with its own header', async () => {
    await withProxiedServer(true, async ({ proxied, http }) => {
      const sockets: WebSocket[] = [];
      const keep = (result: WebSocket | number): number => {
        if (typeof result !== 'number') sockets.push(result);
        return statusOf(result);
      };
      try {
        assert.equal(keep(await openFrom(proxied, '127.0.0.2')), 101);
        assert.equal(keep(await openFrom(proxied, '127.0.0.2')), 101);
        assert.equal(keep(await openFrom(proxied, '127.0.0.2')), 429, "over the first client's cap");
        assert.equal(
          keep(await openFrom(proxied, '127.0.0.2', { 'X-Forwarded-For': '10.9.9.9' })),
          429,
          'an address the client wrote itself is not believed',
        );
        assert.equal(keep(await openFrom(proxied, '127.0.0.3')), 101, 'another client has places of its own');
        assert.equal(keep(await openFrom(proxied, '127.0.0.3')), 101);
        assert.equal(await openConnections(http), 4);
        // A closed connection gives its client's place back.
        sockets[0]?.close();
        await waitUntil(async () => (await openConnections(http)) === 3, 'the close to reach the server');
        assert.equal(keep(await openFrom(proxied, '127.0.0.2')), 101);
      } finally {
        for (const socket of sockets) socket.terminate();
      }
    });
  });

  it('ignores the header on connections that do not come from a trusted proxy', async () => {
    await withProxiedServer(true, async ({ direct }) => {
      const sockets: WebSocket[] = [];
      try {
        for (const claimed of ['10.0.0.1', '10.0.0.2']) {
          const result = await openFrom(direct, '127.0.0.4', { 'X-Forwarded-For': claimed });
          assert.equal(statusOf(result), 101);
          if (typeof result !== 'number') sockets.push(result);
        }
        const third = await openFrom(direct, '127.0.0.4', { 'X-Forwarded-For': '10.0.0.3' });
        if (typeof third !== 'number') sockets.push(third);
        assert.equal(statusOf(third), 429, 'counted by its own address, whatever it claims');
      } finally {
        for (const socket of sockets) socket.terminate();
      }
    });
  });

  it('without trustProxy, every client behind the proxy counts as the proxy', async () => {
    await withProxiedServer(false, async ({ proxied }) => {
      const sockets: WebSocket[] = [];
      try {
        for (const from of ['127.0.0.2', '127.0.0.3']) {
          const result = await openFrom(proxied, from);
          assert.equal(statusOf(result), 101);
          if (typeof result !== 'number') sockets.push(result);
        }
        const third = await openFrom(proxied, '127.0.0.5');
        if (typeof third !== 'number') sockets.push(third);
        assert.equal(statusOf(third), 429);
      } finally {
        for (const socket of sockets) socket.terminate();
      }
    });
  });
});

describe('trustProxy: the client address', () => {
  const request = (peer: string, header?: string | string[]): IncomingMessage =>
    ({
      socket: { remoteAddress: peer },
      headers: header === undefined ? {} : { 'x-forwarded-for': header },
    }) as unknown as IncomingMessage; // only the fields clientIp reads

  it('takes the right-most address that is not a trusted proxy', () => {
    const { clientIp, isProxy } = trustProxy({ proxies: ['10.0.0.0/8', '::1'] });
    assert.equal(clientIp(request('10.1.2.3', '203.0.113.7')), '203.0.113.7');
    assert.equal(clientIp(request('10.1.2.3', '6.6.6.6, 203.0.113.7, 10.0.0.9')), '203.0.113.7');
    assert.equal(
      clientIp(request('::1', ['6.6.6.6', '203.0.113.7'])),
      '203.0.113.7',
      'repeated headers join',
    );
    assert.equal(
      clientIp(request('::ffff:10.0.0.1', '203.0.113.7:4711')),
      '203.0.113.7',
      'mapped peer, port',
    );
    assert.equal(clientIp(request('10.0.0.1', '[2001:db8::1]:443')), '2001:db8::1');
    assert.equal(clientIp(request('10.0.0.1', '10.0.0.2, 10.0.0.3')), '10.0.0.2', 'only proxies: the first');
    assert.equal(clientIp(request('10.0.0.1')), '10.0.0.1', 'no header: the proxy itself');
    assert.equal(
      clientIp(request('10.0.0.1', 'nonsense, 10.0.0.2')),
      '10.0.0.2',
      'not an address: stop there',
    );
    assert.equal(clientIp(request('203.0.113.9', '1.1.1.1')), '203.0.113.9', 'not from a proxy: its own');
    assert.equal(isProxy('::ffff:10.200.0.1'), true);
    assert.equal(isProxy('11.0.0.1'), false);
  });

  it('reads another header when told, and refuses bad settings with a TypeError', () => {
    const { clientIp } = trustProxy({ proxies: ['127.0.0.1'], header: 'X-Real-IP' });
    const real = { socket: { remoteAddress: '127.0.0.1' }, headers: { 'x-real-ip': '198.51.100.4' } };
    assert.equal(clientIp(real as unknown as IncomingMessage), '198.51.100.4'); // only the fields clientIp reads
    assert.throws(() => trustProxy({ proxies: [] }), /trustProxy.proxies must name at least one/);
    assert.throws(() => trustProxy({ proxies: ['localhost'] }), /"localhost" is not an address/);
    assert.throws(() => trustProxy({ proxies: ['10.0.0.0/40'] }), /"10.0.0.0\/40"/);
    assert.throws(
      () => trustProxy({ proxies: ['::1'], header: 'a b' }),
      /header must be an HTTP header name/,
    );
  });
});
