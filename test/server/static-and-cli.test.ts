import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseCliOptions } from '../../src/cli/cli-options.js';
import { isType, Peer } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { cliPath, startCli } from '../helpers/cli.js';
import { welcomed } from '../helpers/kit.js';

/** A raw GET, so paths like /../ reach the server unnormalised. */
function get(url: string, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dev server HTTP', () => {
  let server: DevServer;
  before(async () => {
    server = await startDevServer({ port: 0, source: createMockSource() });
  });
  after(() => server.close());

  it('serves the demo page at / and the built widget under /dist/', async () => {
    const page = await get(server.url, '/');
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /<ai-stream-chat/);
    const widget = await get(server.url, '/dist/ai-stream-chat.js');
    assert.equal(widget.status, 200, 'run npm run build first');
    assert.match(widget.type, /text\/javascript/);
  });

  it('answers 404 for unknown files and refuses paths that leave the served directories', async () => {
    assert.equal((await get(server.url, '/nope.html')).status, 404);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/dist/../../package.json', '/%00']) {
      const res = await get(server.url, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /"name": "ai-stream-chat"/);
    }
  });

  it("serves only the widget's bundles under /dist/, never the server's own code or the types", async () => {
    for (const path of ['/dist/ai-stream-chat.iife.js', '/dist/ai-stream-chat.js.map']) {
      assert.equal((await get(server.url, path)).status, 200, path);
    }
    for (const path of [
      '/dist/node/cli/cli.js',
      '/dist/node/server/auth/session-token.js',
      '/dist/node/protocol/frames.js',
      '/dist/types/widget/index.d.ts',
      '/dist/',
    ]) {
      assert.equal((await get(server.url, path)).status, 404, path);
    }
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const client = new Peer(`${server.url.replace(/^http/, 'ws')}/elsewhere`);
    const [error] = (await once(client.socket, 'error')) as [Error];
    assert.match(error.message, /404/);
  });
});

describe('CLI options', () => {
  it('has defaults: port 8787, 50 tokens/s, seed 1', () => {
    const options = parseCliOptions([], {});
    assert.equal(options.port, 8787);
    assert.equal(options.tokensPerSecond, 50);
    assert.equal(options.seed, 1);
  });

  it('takes PORT from the environment, and --port over it', () => {
    assert.equal(parseCliOptions([], { PORT: '9000' }).port, 9000);
    assert.equal(parseCliOptions(['--port', '9001'], { PORT: '9000' }).port, 9001);
    assert.equal(parseCliOptions(['--rate', 'max'], {}).tokensPerSecond, Number.POSITIVE_INFINITY);
  });

  it('rejects bad values and unknown flags with a message naming the flag', () => {
    assert.throws(
      () => parseCliOptions(['--port', '70000'], {}),
      /--port must be an integer from 0 to 65535/,
    );
    assert.throws(() => parseCliOptions(['--port', 'abc'], {}), /--port/);
    assert.throws(() => parseCliOptions(['--rate', '-1'], {}), /--rate/);
    assert.throws(() => parseCliOptions(['--bogus'], {}), /bogus/);
    assert.throws(
      () => parseCliOptions(['--follow-up', 'drop'], {}),
      /--follow-up must be "queue" or "interrupt"/,
    );
    assert.equal(parseCliOptions(['--follow-up', 'interrupt'], {}).followUp, 'interrupt');
  });
});

describe('ai-stream-chat-server binary', () => {
  it('prints its URL, serves a conversation, and exits on SIGTERM', async () => {
    const { child, wsUrl } = await startCli(['--port', '0', '--rate', 'max']);
    try {
      const client = await welcomed(wsUrl);
      client.send({ type: 'send', clientMsgId: 'x', text: 'hi' });
      assert.equal((await client.waitFor(isType('done'))).finishReason, 'stop');
      client.close();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits with status 2 and the usage on a bad flag', async () => {
    const child = spawn(process.execPath, [cliPath, '--port', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(err, /--port must be an integer/);
    assert.match(err, /Usage: ai-stream-chat-server/);
  });
});
