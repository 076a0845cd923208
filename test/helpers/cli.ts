/**
 * Starts the built dev server binary (dist/, built by the test command) for
 * node tests, and resolves the moment it prints its URL line, as a
 * supervisor script would read it.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export const cliPath = new URL('../../dist/node/cli/cli.js', import.meta.url).pathname;

export interface RunningCli {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** http(s)://host:port, from the URL line. */
  url: string;
  /** The chat endpoint, ws(s)://host:port/path. */
  wsUrl: string;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches: stderr is its own pipe, so it may lag the URL line. */
  untilStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** startCli gives up (and kills the process) when no URL line came by then. */
const START_TIMEOUT_MS = 15_000;

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
}

export async function startCli(args: string[], options: StartOptions = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const urls = await new Promise<{ url: string; wsUrl: string }>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
    };
    const onData = (): void => {
      const line = /listening on (\S+?)\/ \(WebSocket (\S+)\)/.exec(stdout);
      if (!line) return;
      finish();
      resolve({ url: line[1] as string, wsUrl: line[2] as string });
    };
    const onExit = (code: number | null): void => finish(new Error(`server exited (${code}): ${stderr}`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`server printed no URL line in ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  const untilStderr = async (pattern: RegExp, timeoutMs = 5_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stderr)) {
      if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { child, ...urls, stdout: () => stdout, stderr: () => stderr, untilStderr };
}
