import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Absolute path of the built binary, dist/node/cli/cli.js. */
export const cliPath: string;

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

export interface StartCliOptions {
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the URL line before killing the process and rejecting. Default 15000. */
  timeoutMs?: number;
}

/** Spawns `node dist/node/cli/cli.js ...args`; resolves on its URL line, rejects if it exits or times out first. */
export function startCli(args?: readonly string[], options?: StartCliOptions): Promise<RunningCli>;
