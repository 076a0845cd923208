/**
 * Finds (and, where allowed, installs) the system programs the test suite
 * needs: the three browser engines from Debian's packages, since Playwright
 * cannot download browsers here (Chromium; Firefox ESR; WebKitGTK's
 * MiniBrowser with its WebDriver and Xvfb to give it a display), and Debian's
 * redis-server for the multi-node tests, and Debian's WordPress, php and
 * MariaDB for the WordPress test.
 * Used by the test command and by web-test-runner.config.mjs.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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

/** Path of Firefox: $FIREFOX_PATH, /usr/bin/firefox-esr, then `firefox-esr` or `firefox` on PATH. */
export function findFirefox() {
  const candidates = [
    process.env.FIREFOX_PATH,
    '/usr/bin/firefox-esr',
    onPath('firefox-esr'),
    onPath('firefox'),
  ];
  return candidates.find((p) => p && isExecutable(p));
}

/** Returns a Firefox path, installing Debian's firefox-esr when missing and possible; exits with advice otherwise. */
export function ensureFirefox() {
  let path = findFirefox();
  if (!path) {
    process.stderr.write('Firefox not found; installing Debian\'s "firefox-esr" package…\n');
    if (aptInstall(['firefox-esr'])) path = findFirefox();
  }
  if (!path) {
    process.stderr.write(
      'The browser tests need Firefox and none was found.\n' +
        'Install it (Debian: sudo apt-get install firefox-esr) or set FIREFOX_PATH to a Firefox binary.\n',
    );
    process.exit(1);
  }
  return path;
}

/**
 * WebKitGTK's MiniBrowser: $WEBKIT_BROWSER_PATH, else the one libwebkit2gtk-4.1-0
 * installs under /usr/lib/<multiarch triplet>/webkit2gtk-4.1/.
 */
function findMiniBrowser() {
  const installed = () => {
    try {
      return readdirSync('/usr/lib', { withFileTypes: true })
        .filter((e) => e.isDirectory() && /-linux-gnu/.test(e.name))
        .map((e) => join('/usr/lib', e.name, 'webkit2gtk-4.1', 'MiniBrowser'));
    } catch {
      return [];
    }
  };
  return [process.env.WEBKIT_BROWSER_PATH, ...installed()].find((p) => p && isExecutable(p));
}

/**
 * What the WebKit tests run: WebKitWebDriver ($WEBKIT_WEBDRIVER_PATH or on
 * PATH), MiniBrowser, and Xvfb ($XVFB_PATH or on PATH), since WebKitGTK has
 * no headless mode and needs an X display. Undefined when any is missing.
 */
export function findWebKit() {
  const driver = [
    process.env.WEBKIT_WEBDRIVER_PATH,
    '/usr/bin/WebKitWebDriver',
    onPath('WebKitWebDriver'),
  ].find((p) => p && isExecutable(p));
  const browser = findMiniBrowser();
  const xvfb = [process.env.XVFB_PATH, '/usr/bin/Xvfb', onPath('Xvfb')].find((p) => p && isExecutable(p));
  return driver && browser && xvfb ? { driver, browser, xvfb } : undefined;
}

/** Returns the WebKit programs, installing Debian's packages when missing and possible; exits with advice otherwise. */
export function ensureWebKit() {
  let webkit = findWebKit();
  if (!webkit) {
    process.stderr.write(
      'WebKit not found; installing Debian\'s "webkit2gtk-driver", "libwebkit2gtk-4.1-0" and "xvfb" packages…\n',
    );
    if (aptInstall(['webkit2gtk-driver', 'libwebkit2gtk-4.1-0', 'xvfb'])) webkit = findWebKit();
  }
  if (!webkit) {
    process.stderr.write(
      'The browser tests need WebKitGTK (MiniBrowser and WebKitWebDriver) and Xvfb, and one was not found.\n' +
        'Install them (Debian: sudo apt-get install webkit2gtk-driver libwebkit2gtk-4.1-0 xvfb) or set\n' +
        'WEBKIT_WEBDRIVER_PATH, WEBKIT_BROWSER_PATH and XVFB_PATH.\n',
    );
    process.exit(1);
  }
  return webkit;
}

/** The programs a real WordPress from Debian's packages needs: WordPress itself, PHP with mysqli, MariaDB. */
const WORDPRESS_PROGRAMS = {
  wordpress: '/usr/share/wordpress/wp-settings.php',
  php: '/usr/bin/php',
  mariadbd: '/usr/sbin/mariadbd',
  mariadbInstallDb: '/usr/bin/mariadb-install-db',
  mariadb: '/usr/bin/mariadb',
};

function findWordPress() {
  const missing = Object.values(WORDPRESS_PROGRAMS).some((path) => !existsSync(path));
  if (missing) return undefined;
  try {
    // Debian's php-mysql gives mysqli; without it WordPress stops at "missing MySQL extension".
    execFileSync(WORDPRESS_PROGRAMS.php, ['-r', 'exit(extension_loaded("mysqli") ? 0 : 1);']);
  } catch {
    return undefined;
  }
  return WORDPRESS_PROGRAMS;
}

/**
 * Paths of Debian's WordPress, php and MariaDB programs, installing the
 * `wordpress`, `php-mysql` and `mariadb-server` packages when missing and
 * possible (root on Debian); exits with advice otherwise. Their services are
 * not used: the WordPress test starts its own MariaDB and `php -S` on free
 * ports and sockets.
 */
export function ensureWordPress() {
  let found = findWordPress();
  if (!found) {
    process.stderr.write(
      "WordPress not found; installing Debian's wordpress, php-mysql and mariadb-server…\n",
    );
    if (aptInstall(['wordpress', 'php-mysql', 'mariadb-server'])) found = findWordPress();
  }
  if (!found) {
    process.stderr.write(
      "The WordPress test needs Debian's wordpress, php-mysql and mariadb-server packages.\n" +
        'Install them (sudo apt-get install wordpress php-mysql mariadb-server).\n',
    );
    process.exit(1);
  }
  return found;
}

// `node scripts/system-deps.mjs` finds or installs the browser engines (with --wordpress, also
// Debian's WordPress, php and MariaDB) and prints their paths.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`Chromium: ${ensureChromium()}\n`);
  process.stdout.write(`Firefox: ${ensureFirefox()}\n`);
  const webkit = ensureWebKit();
  process.stdout.write(`WebKit: ${webkit.browser} (driver ${webkit.driver}, display ${webkit.xvfb})\n`);
  if (process.argv.includes('--wordpress'))
    process.stdout.write(`WordPress: ${ensureWordPress().wordpress}\n`);
}
