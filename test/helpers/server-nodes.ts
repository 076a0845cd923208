/**
 * Server nodes as separate processes of the built CLI (dist/), for
 * multi-node tests: each listens on a free 127.0.0.1 port and shares the
 * given Redis. Every node started is stopped by `stopAll`.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startCli } from './cli.js';

export interface ServerNode {
  readonly port: number;
  /** The chat endpoint, ws://127.0.0.1:port/ws. */
  readonly wsUrl: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** What the node wrote to stderr so far. */
  readonly stderr: () => string;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const started = new Set<ServerNode>();

export async function startNode(args: string[], port = 0): Promise<ServerNode> {
  const cli = await startCli(['--port', String(port), ...args]);
  const child = cli.child;
  const node: ServerNode = {
    port: Number(new URL(cli.url).port),
    wsUrl: cli.wsUrl,
    pid: child.pid as number,
    process: child,
    stderr: cli.stderr,
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
