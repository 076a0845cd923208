/** Starts the built dev server binary for node tests and reads its URL from the line it prints. */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

export const cliPath = new URL('../../dist/server/dev-server/cli.js', import.meta.url).pathname;

export interface RunningCli {
  child: ChildProcessByStdio<null, Readable, Readable>;
  wsUrl: string;
  /** Everything it printed on stdout until it listened. */
  output: string;
}

export async function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningCli> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.setEncoding('utf8');
  while (!/listening on/.test(output)) {
    const [chunk] = (await once(child.stdout, 'data')) as [string];
    output += chunk;
  }
  const wsUrl = output.match(/WebSocket (ws:\/\/\S+)\)/)?.[1];
  if (!wsUrl) throw new Error(`no WebSocket URL in: ${output}`);
  return { child, wsUrl, output };
}
