/**
 * Starts the built server binary (dist/node/cli/cli.js; `npm run
 * build:server`) and resolves the moment it prints its URL line, as a
 * supervisor script would read it. Used by the node tests
 * (test/helpers/cli.ts), the browser tests' server commands
 * (web-test-runner.config.mjs) and scripts/screenshots.mjs.
 */
import { spawn } from 'node:child_process';

export const cliPath = new URL('../dist/node/cli/cli.js', import.meta.url).pathname;

/** `ai-stream-chat dev server listening on http://host:port/ (WebSocket ws://host:port/ws)` */
const URL_LINE = /listening on (\S+?)\/ \(WebSocket (\S+)\)/;

/** startCli gives up (and kills the process) when no URL line came by then. */
const START_TIMEOUT_MS = 15_000;

export async function startCli(args = [], { env = process.env, timeoutMs = START_TIMEOUT_MS } = {}) {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
  });
  const urls = await new Promise((resolve, reject) => {
    const finish = (error) => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
    };
    const onData = () => {
      const line = URL_LINE.exec(stdout);
      if (!line) return;
      finish();
      resolve({ url: line[1], wsUrl: line[2] });
    };
    const onExit = (code) => finish(new Error(`server exited (${code}): ${stderr}`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`server printed no URL line in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  const untilStderr = async (pattern, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stderr)) {
      if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { child, ...urls, stdout: () => stdout, stderr: () => stderr, untilStderr };
}
