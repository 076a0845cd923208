/**
 * Server nodes as separate processes of the built CLI (dist/), for
 * multi-node tests: each listens on a free 127.0.0.1 port and shares the
 * given Redis. Every node started is stopped by `stopAll`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

const bin = new URL('../../dist/server/dev-server/cli.js', import.meta.url).pathname;

export interface ServerNode {
  readonly port: number;
  readonly pid: number;
  readonly process: ChildProcess;
  /** What the node wrote to stderr so far. */
  readonly stderr: () => string;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const started = new Set<ServerNode>();

export async function startNode(args: string[], port = 0): Promise<ServerNode> {
  const child = spawn(process.execPath, [bin, '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let out = '';
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${err}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code}): ${err}`));
    });
  });
  const node: ServerNode = {
    port: listening,
    pid: child.pid as number,
    process: child,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      started.delete(node);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
  started.add(node);
  return node;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((n) => n.stop('SIGKILL')));
}
