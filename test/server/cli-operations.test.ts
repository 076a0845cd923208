/**
 * Operations of the server binary: JSON logs, graceful drain on SIGTERM, TLS.
 * Each test spawns dist/node/cli/cli.js (built by the test command).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { isType, Peer } from '../../src/conformance/peer.js';
import { CloseCode } from '../../src/protocol/index.js';
import { cliPath, type RunningCli, startCli } from '../helpers/cli.js';
import { upgradeStatus, waitUntil } from '../helpers/kit.js';

/** Starts the binary on a free port; `logs()` parses the JSON log lines it printed so far. */
async function start(args: string[]): Promise<RunningCli & { logs(): Record<string, unknown>[] }> {
  const server = await startCli(['--port', '0', ...args]);
  const logs = (): Record<string, unknown>[] =>
    server
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ...server, logs };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('server binary: operations', () => {
  it('SIGTERM drains: clients get 1001, new sockets 503, the answer finishes, exit 0; logs are JSON without text', async () => {
    const server = await start(['--rate', '100', '--drain-ms', '20000']);
    try {
      const client = await Peer.connect(server.wsUrl);
      client.send({ type: 'hello', v: 1 });
      await client.waitFor(isType('welcome'));
      const question = 'a secret question nobody may log';
      client.send({ type: 'send', clientMsgId: 'x', text: question });
      await client.waitFor(isType('delta'));
      server.child.kill('SIGTERM');
      assert.equal(await client.waitForClose(), CloseCode.GoingAway);
      assert.equal(await upgradeStatus(server.wsUrl), 503, 'a draining server refuses new sockets');
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 503);
      assert.equal(((await health.json()) as { status: string }).status, 'draining');
      assert.equal(await exitCode(server.child), 0);

      const logs = server.logs();
      const events = logs.map((l) => l.event);
      for (const e of ['listening', 'connection_open', 'shutdown', 'drain_start', 'drain_end', 'exit']) {
        assert.ok(events.includes(e), `logs ${e}: ${events.join(' ')}`);
      }
      const closed = logs.find((l) => l.event === 'connection_close');
      assert.equal(closed?.code, CloseCode.GoingAway);
      const generation = logs.find((l) => l.event === 'generation_end');
      assert.equal(generation?.outcome, 'stop', 'the answer in flight finished within the deadline');
      assert.ok(logs.some((l) => l.event === 'upgrade_refused' && l.status === 503));
      assert.ok(logs.every((l) => typeof l.level === 'number' && typeof l.time === 'number'));
      const text = server.stdout();
      assert.ok(!text.includes('secret question'), 'message text is never logged');
      // Answer text is not logged either: no delta text, no "text" field.
      const answer = client.frames.filter(isType('delta')).map((d) => d.text);
      assert.ok(!logs.some((l) => 'text' in l));
      assert.ok(answer.join('').length > 0);
      client.close();
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('an answer still running at the drain deadline ends interrupted, and the server exits 0', async () => {
    const server = await start(['--rate', '5', '--drain-ms', '300', '--log-level', 'debug']);
    try {
      const client = await Peer.connect(server.wsUrl);
      client.send({ type: 'hello', v: 1 });
      await client.waitFor(isType('welcome'));
      client.send({ type: 'send', clientMsgId: 'x', text: 'hi' });
      await client.waitFor(isType('start'));
      server.child.kill('SIGTERM');
      assert.equal(await exitCode(server.child), 0);
      const logs = server.logs();
      assert.equal(logs.find((l) => l.event === 'generation_end')?.outcome, 'interrupted');
      assert.equal(logs.find((l) => l.event === 'drain_end')?.interrupted, 1);
      assert.ok(
        logs.some((l) => l.event === 'welcome'),
        'debug level logs more',
      );
      client.close();
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('--log-level silent logs nothing but the URL line; a bad level exits 2', async () => {
    const server = await start(['--log-level', 'silent']);
    server.child.kill('SIGTERM');
    assert.equal(await exitCode(server.child), 0);
    assert.deepEqual(server.logs(), []);
    const bad = spawnSync(process.execPath, [cliPath, '--log-level', 'loud'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--log-level must be one of/);
  });

  it('SIGTERM sent the moment the URL line is printed still drains and exits 0', async () => {
    // The window between printing the line and installing the handlers is short, so try a few times.
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = await start(['--log-level', 'info']);
      server.child.kill('SIGTERM');
      assert.equal(await exitCode(server.child), 0, `attempt ${attempt}: ${server.stdout()}`);
      assert.ok(server.logs().some((l) => l.event === 'drain_end'));
    }
  });

  it('serves HTTPS and WSS with --tls-cert and --tls-key', async (t) => {
    const openssl = spawnSync('openssl', ['version']);
    if (openssl.error || openssl.status !== 0) {
      t.skip('openssl is not installed: cannot make a self-signed certificate for the TLS test');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ai-chat-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    const ca = readFileSync(cert);
    const server = await start(['--tls-cert', cert, '--tls-key', key, '--rate', 'max']);
    try {
      assert.match(server.url, /^https:\/\//);
      assert.match(server.wsUrl, /^wss:\/\//);
      const status = await new Promise<number>((resolve, reject) => {
        httpsRequest(`${server.url}/healthz`, { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 200);
      const socket = new WebSocket(server.wsUrl, { ca });
      const frames: { type: string; finishReason?: string }[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      await once(socket, 'open');
      socket.send(JSON.stringify({ type: 'hello', v: 1 }));
      socket.send(JSON.stringify({ type: 'send', clientMsgId: 'x', text: 'over TLS' }));
      await waitUntil(() => frames.some((f) => f.type === 'done'), 'the answer over TLS');
      assert.equal(frames.find((f) => f.type === 'done')?.finishReason, 'stop');
      socket.close();
      // A client that does not trust the certificate cannot connect.
      const untrusting = new WebSocket(server.wsUrl);
      const [error] = (await once(untrusting, 'error')) as [Error];
      assert.match(error.message, /self.signed|certificate/i);
      server.child.kill('SIGTERM');
      assert.equal(await exitCode(server.child), 0);
    } finally {
      server.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects --tls-cert without --tls-key, and unreadable TLS files, with status 2', () => {
    const half = spawnSync(process.execPath, [cliPath, '--tls-cert', 'x.pem'], { encoding: 'utf8' });
    assert.equal(half.status, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const missing = spawnSync(
      process.execPath,
      [cliPath, '--tls-cert', '/nonexistent/c', '--tls-key', '/nonexistent/k'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read the TLS files/);
  });
});
