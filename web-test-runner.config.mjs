import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter, summaryReporter } from '@web/test-runner';
import { chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { ENGINE_NAMES, engineFromEnv, firefoxLaunchOptions } from './scripts/browser-engines.mjs';
import { startRedisProcess } from './scripts/redis-process.mjs';
import { startCli } from './scripts/start-cli.mjs';
import { CHROMIUM_ARGS, findChromium, findFirefox, findWebKit } from './scripts/system-deps.mjs';
import { WebKitLauncher } from './scripts/webkit-launcher.mjs';

/** One engine per run ($BROWSER_ENGINE: chromium, firefox or webkit; scripts/browser-engines.mjs). */
const engine = engineFromEnv();

function launcherFor(engine) {
  const missing = (what, env) =>
    new Error(`${what} not found: run "node scripts/system-deps.mjs" or set ${env}.`);
  if (engine === 'firefox') {
    const executablePath = findFirefox();
    if (!executablePath) throw missing('Firefox', 'FIREFOX_PATH');
    return chromeLauncher({ puppeteer: puppeteerCore, launchOptions: firefoxLaunchOptions(executablePath) });
  }
  if (engine === 'webkit') {
    const programs = findWebKit();
    if (!programs) throw missing('WebKit (WebKitWebDriver, MiniBrowser, Xvfb)', 'WEBKIT_WEBDRIVER_PATH');
    return new WebKitLauncher(programs);
  }
  const executablePath = findChromium();
  if (!executablePath) throw missing('Chromium', 'CHROME_PATH');
  return playwrightLauncher({ product: 'chromium', launchOptions: { executablePath, args: CHROMIUM_ARGS } });
}

/** Dev servers that browser tests start through `executeServerCommand`; all are killed at the end. */
const devServers = new Map();

async function startDevServer(args = [], port = 0) {
  const { child, url, wsUrl } = await startCli(['--port', String(port), ...args]);
  devServers.set(child.pid, child);
  child.once('exit', () => devServers.delete(child.pid));
  return { pid: child.pid, httpUrl: url, wsUrl };
}

function stopDevServer(pid) {
  const child = devServers.get(pid);
  if (!child) return false;
  devServers.delete(pid);
  child.kill('SIGKILL');
  return true;
}

/** How many WebSocket connections a dev server has open, from its GET /healthz. */
async function devServerConnections(httpUrl) {
  const response = await fetch(`${httpUrl}/healthz`);
  return (await response.json()).connections;
}

/** redis-server processes and TCP balancers of the multi-node browser tests; all stopped at the end. */
const redisServers = new Map();
const balancers = new Map();

async function startRedis() {
  const redis = await startRedisProcess();
  redisServers.set(redis.pid, redis);
  return { pid: redis.pid, url: redis.url };
}

async function stopRedis(pid) {
  const redis = redisServers.get(pid);
  if (!redis) return false;
  redisServers.delete(pid);
  await redis.close();
  return true;
}

/** A round-robin TCP balancer over fixed ports: every new connection goes to the next node. */
async function startBalancer(ports) {
  let next = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(ports[next++ % ports.length], '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  balancers.set(port, { server, sockets });
  return { port, wsUrl: `ws://127.0.0.1:${port}/ws` };
}

function stopBalancer(port) {
  const entry = balancers.get(port);
  if (!entry) return false;
  balancers.delete(port);
  for (const s of entry.sockets) s.destroy();
  entry.server.close();
  return true;
}

const devServerCommands = {
  name: 'dev-server-commands',
  async executeCommand({ command, payload }) {
    if (command === 'start-dev-server') return startDevServer(payload?.args, payload?.port);
    if (command === 'stop-dev-server') return stopDevServer(payload.pid);
    if (command === 'dev-server-connections') return devServerConnections(payload.httpUrl);
    if (command === 'start-redis') return startRedis();
    if (command === 'stop-redis') return stopRedis(payload.pid);
    if (command === 'start-balancer') return startBalancer(payload.ports);
    if (command === 'stop-balancer') return stopBalancer(payload.port);
    return undefined;
  },
  async serverStop() {
    for (const pid of [...devServers.keys()]) stopDevServer(pid);
    for (const port of [...balancers.keys()]) stopBalancer(port);
    await Promise.all([...redisServers.keys()].map(stopRedis));
  },
};

/**
 * Writes pass/fail counts for scripts/test.mjs, which sums all runners, and
 * the titles of skipped tests, each of which says why (itExcept in
 * test/helpers/browser.ts), for it to list.
 */
function countingReporter(file) {
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0;
      let failed = 0;
      const skipped = [];
      const walk = (suite, path) => {
        for (const test of suite.tests ?? []) {
          if (test.skipped) skipped.push([...path, test.name].join(' > '));
          else if (test.passed) passed++;
          else failed++;
        }
        for (const child of suite.suites ?? []) walk(child, [...path, child.name]);
      };
      for (const session of sessions) {
        if (session.testResults) walk(session.testResults, []);
        // A file that failed to load or threw outside a test counts as one failure.
        if (!session.passed && (session.errors?.length ?? 0) > 0) failed++;
      }
      writeFileSync(file, JSON.stringify({ engine: ENGINE_NAMES[engine], passed, failed, skipped }));
    },
  };
}

const reporters = [defaultReporter(), summaryReporter({ flatten: false })];
if (process.env.WTR_COUNTS_FILE) reporters.push(countingReporter(process.env.WTR_COUNTS_FILE));

export default {
  files: ['test/widget/**/*.test.ts', 'test/markdown/**/*.test.ts', 'test/e2e/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // Firefox once took over the default 30 s to open its first page while other jobs kept
  // this 2-core VM busy (load average 15).
  browserStartTimeout: 90_000,
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 30_000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), devServerCommands],
  reporters,
  browsers: [launcherFor(engine)],
};
