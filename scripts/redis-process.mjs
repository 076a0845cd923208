/**
 * A redis-server process for tests and benchmarks: a free 127.0.0.1 port, a
 * temporary directory, ready once it answers PING. Used by the node tests,
 * the browser tests' server commands and bench:server --redis. `npm test`
 * installs the binary (system-deps.mjs ensureRedisServer) before any of them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
export async function startRedisProcess({ persistent = false, extraArgs = [] } = {}) {
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
    ...extraArgs,
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

/**
 * A local Redis Cluster: `masters` masters with one replica each (Debian's
 * redis-server with --cluster-enabled, joined by `redis-cli --cluster
 * create`), append-only files fsynced on every write, a node timeout of
 * `nodeTimeoutMs` (how soon a dead master's replica takes over). Ready once
 * every node says cluster_state:ok. `seeds` are every node's host:port.
 */
export async function startRedisCluster({ masters = 3, nodeTimeoutMs = 2000 } = {}) {
  const extraArgs = [
    ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
    ...['--cluster-node-timeout', String(nodeTimeoutMs), '--appendonly', 'yes'],
    // Replicas sync at once (the default waits 5 s to batch them); a replica never synced cannot take over.
    ...['--repl-diskless-sync-delay', '0'],
  ];
  const nodes = [];
  try {
    for (let i = 0; i < masters * 2; i++)
      nodes.push(await startRedisProcess({ persistent: true, extraArgs }));
    const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
    const cli = join(dirname(findRedisServer()), 'redis-cli');
    const created = spawnSync(
      cli,
      ['--cluster', 'create', ...seeds, '--cluster-replicas', '1', '--cluster-yes'],
      {
        encoding: 'utf8',
      },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      while (!(await clusterOk(node.port)) || !(await replicaSynced(node.port))) {
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port} within 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return {
      nodes,
      seeds,
      async close() {
        await Promise.all(nodes.map((n) => n.close()));
      },
    };
  } catch (error) {
    await Promise.all(nodes.map((n) => n.close()));
    throw error;
  }
}

/** Whether the node on `port` says the cluster is ok. */
async function clusterOk(port) {
  return (await ask(port, 'CLUSTER INFO', 'cluster_state:')).includes('cluster_state:ok');
}

/** Whether the node on `port` is a master, or a replica whose link to its master is up (it has synced). */
async function replicaSynced(port) {
  const info = await ask(port, 'INFO replication', 'role:');
  if (info.includes('role:master')) return true;
  return (await ask(port, 'INFO replication', 'master_link_status:')).includes('master_link_status:up');
}

/** Sends an inline command to the node on `port`; resolves with the reply once it holds `marker` (or '' on error). */
function ask(port, command, marker) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk;
      const at = reply.indexOf(marker);
      if (at >= 0 && reply.indexOf('\r\n', at) >= 0) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.once('error', () => resolve(''));
  });
}
