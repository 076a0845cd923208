/**
 * Finds (and, where allowed, installs) the system programs the test suite
 * needs: Debian's Chromium, since Playwright cannot download browsers here,
 * and Debian's redis-server for the multi-node tests.
 * Used by the test command and by web-test-runner.config.mjs.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Launch arguments for headless Chromium here. Without the networking flags
 * Chromium floods this machine's closed network with refused connections.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Path of a Chromium binary: $CHROME_PATH, then /usr/bin/chromium, then `chromium` on PATH. */
export function findChromium() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', onPath('chromium')];
  return candidates.find((p) => p && isExecutable(p));
}

function canApt() {
  return process.getuid?.() === 0 && Boolean(onPath('apt-get'));
}

let aptUpdated = false;
/** Installs Debian packages with apt-get (root only); returns false when that is not possible. */
export function aptInstall(packages) {
  if (!canApt()) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
  return true;
}

/** Returns a Chromium path, installing Debian's chromium when missing and possible; exits with advice otherwise. */
export function ensureChromium() {
  let path = findChromium();
  if (!path) {
    process.stderr.write('Chromium not found; installing Debian\'s "chromium" package…\n');
    if (aptInstall(['chromium'])) path = findChromium();
  }
  if (!path) {
    process.stderr.write(
      'The browser tests need Chromium and none was found.\n' +
        'Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROME_PATH to a Chromium or Chrome binary.\n',
    );
    process.exit(1);
  }
  return path;
}

/** Path of redis-server: $REDIS_SERVER_PATH, /usr/bin/redis-server, then `redis-server` on PATH. */
export function findRedisServer() {
  const candidates = [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server', onPath('redis-server')];
  return candidates.find((p) => p && isExecutable(p));
}

/** Returns a redis-server path, installing Debian's redis-server when missing and possible; exits with advice otherwise. */
export function ensureRedisServer() {
  let path = findRedisServer();
  if (!path) {
    process.stderr.write('redis-server not found; installing Debian\'s "redis-server" package…\n');
    // The package's service is not wanted: tests start their own servers on free ports.
    if (aptInstall(['redis-server'])) path = findRedisServer();
  }
  if (!path) {
    process.stderr.write(
      'The multi-node tests need redis-server and none was found.\n' +
        'Install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_SERVER_PATH to a redis-server binary.\n',
    );
    process.exit(1);
  }
  return path;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${ensureChromium()}\n`);
}
