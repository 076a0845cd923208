/**
 * The three browser engines the tests run in, all from Debian's packages
 * (scripts/system-deps.mjs finds or installs them), and how to start each:
 *
 *   chromium  Chromium, headless, over the DevTools protocol (Playwright)
 *   firefox   Firefox ESR, headless, over WebDriver BiDi (puppeteer-core):
 *             Playwright only drives its own patched Firefox, which cannot be
 *             downloaded here
 *   webkit    WebKitGTK's MiniBrowser (WebKit is Safari's engine) through
 *             WebKitWebDriver, over WebDriver classic (webdriverio), on an Xvfb
 *             display: WebKitGTK has no headless mode, and Playwright only
 *             drives its own patched WebKit
 *
 * Used by web-test-runner.config.mjs, the page tests (test/pages), the test
 * command and bench:render.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { constants } from 'node:os';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** How the engines are called in reports. */
export const ENGINE_NAMES = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };

/** The engine named by $BROWSER_ENGINE (default chromium); throws on an unknown name. */
export function engineFromEnv() {
  const engine = process.env.BROWSER_ENGINE || 'chromium';
  if (!ENGINES.includes(engine)) {
    throw new Error(`BROWSER_ENGINE is ${engine}; it must be one of ${ENGINES.join(', ')}`);
  }
  return engine;
}

/**
 * Firefox preferences for tests: no first-run pages, update checks or
 * telemetry reaching for the network, which is closed here.
 */
export const FIREFOX_PREFS = {
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'browser.aboutwelcome.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

/** puppeteer-core launch options for Debian's Firefox ESR at `executablePath`. */
export function firefoxLaunchOptions(executablePath) {
  return {
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
  };
}

/** A TCP port that was free a moment ago (WebKitWebDriver takes no port 0). */
async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Process groups this process started (Xvfb, WebKitWebDriver and its
 * MiniBrowser), killed at exit however it comes: web-test-runner stops its
 * browsers on SIGINT and at exit, but a SIGTERM (a CI job cancelled, a
 * timeout) would otherwise leave them running.
 */
const groups = new Set();

function killGroupsNow() {
  for (const child of groups) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
  groups.clear();
}

let exitHooked = false;
function track(child) {
  groups.add(child);
  child.once('exit', () => groups.delete(child));
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', killGroupsNow);
  for (const signal of ['SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killGroupsNow();
      process.exit(128 + constants.signals[signal]);
    });
  }
}

/** Kills a process group started with `detached: true`, then waits (briefly) for its leader to exit. */
async function killGroup(child, timeoutMs = 5_000) {
  groups.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts Xvfb on a display it picks itself (-displayfd: the X server's "port 0")
 * and resolves with that display and a close().
 */
async function startXvfb(xvfb) {
  // 1280x1024: room for the test pages and the 1280 px wide demo page.
  const child = spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => {
    stderr += c;
  });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    child.stdio[3].setEncoding('utf8').on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr}`)));
  });
  return { display, close: () => killGroup(child) };
}

/** Polls the driver's /status until it answers ready. */
async function driverReady(url, child, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${url}/status`);
      if (response.ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Starts Xvfb and WebKitWebDriver on it; resolves with the driver's port,
 * the capabilities that open MiniBrowser in automation mode, and close(),
 * which stops the driver (and the MiniBrowser it started) and Xvfb.
 * `programs` is scripts/system-deps.mjs findWebKit()'s answer.
 */
export async function startWebKitDriver(programs) {
  const xvfb = await startXvfb(programs.xvfb);
  const env = { ...process.env, DISPLAY: xvfb.display };
  // A fixed port from freePort() can be taken by someone else before the driver binds it: retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(programs.driver, [`--port=${port}`, '--host=local'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
      // Its own process group, so close() also ends the MiniBrowser it starts.
      detached: true,
    });
    track(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
    });
    if (await driverReady(`http://127.0.0.1:${port}`, child)) {
      return {
        port,
        display: xvfb.display,
        capabilities: webkitCapabilities(programs.browser),
        async close() {
          await killGroup(child);
          await xvfb.close();
        },
      };
    }
    await killGroup(child);
    if (attempt === 4) {
      await xvfb.close();
      throw new Error(`WebKitWebDriver did not start: ${stderr}`);
    }
  }
  throw new Error('unreachable');
}

/** WebDriver capabilities that start WebKitGTK's MiniBrowser at `binary` for automation. */
export function webkitCapabilities(binary) {
  return {
    browserName: 'MiniBrowser',
    // webdriverio asks for WebDriver BiDi unless told not to; WebKitWebDriver speaks classic only.
    'wdio:enforceWebDriverClassic': true,
    'webkitgtk:browserOptions': { binary, args: ['--automation'] },
  };
}
