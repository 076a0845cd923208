/**
 * A redis-server process for tests and benchmarks: a free 127.0.0.1 port, a
 * temporary directory, ready once it answers PING. Used by the node tests,
 * the browser tests' server commands and bench:server --redis. `npm test`
 * installs the binary (system-deps.mjs ensureRedisServer) before any of them.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisServer } from './system-deps.mjs';

/** A port that was free on 127.0.0.1 a moment ago. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something on `port` answers a Redis PING. */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (reply) => {
      socket.destroy();
      resolve(reply.startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts redis-server. With `persistent`, an append-only file fsynced on
 * every write, so a stop and start keeps everything.
 */
export async function startRedisProcess({ persistent = false } = {}) {
  const binary = findRedisServer();
  if (!binary) {
    throw new Error(
      'redis-server not found: npm test installs it (Debian: apt-get install redis-server), or set REDIS_SERVER_PATH',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ai-stream-chat-redis-'));
  const port = await freePort();
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
    ...['--appendonly', persistent ? 'yes' : 'no', '--appendfsync', 'always'],
    ...['--daemonize', 'no', '--loglevel', 'warning'],
  ];
  let child;
  const start = async () => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8').on('data', (chunk) => {
        output += chunk;
      });
    }
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not answer PING within 10 s: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const stop = async (hard = false) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await once(proc, 'exit');
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async close() {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
