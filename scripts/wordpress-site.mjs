/**
 * A real WordPress from Debian's packages, with this repository's plugin
 * (wordpress/ai-stream-chat), for the WordPress test and screenshot:
 *
 * - MariaDB: a fresh data directory in a temporary folder, `mariadbd` on a
 *   Unix socket there (no TCP port, no grant tables: nothing else can reach it);
 * - Debian's WordPress reads /etc/wordpress/config-<host>.php: the site gets a
 *   host of its own, a random loopback address (127.x.y.z, which every
 *   browser reaches without any name resolution set up), so its config file
 *   is its own and is removed again; wp-content is in the temporary folder
 *   (the plugin and Debian's themes linked in);
 * - a PHP script calls wp_install() (instead of the web installer), activates
 *   the plugin, saves its settings (the chat server URL) and makes the pages;
 * - `php -S` serves /usr/share/wordpress on a free port.
 *
 * close() stops php and mariadbd and removes the config file and the folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWordPress } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const WORDPRESS = '/usr/share/wordpress';

async function freePort(host) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, host, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await once(child, 'exit');
  clearTimeout(killer);
}

/** The PHP that installs the site; prints the pages' URLs as JSON. */
const SETUP_PHP = String.raw`<?php
$_SERVER['HTTP_HOST'] = getenv('AISC_HOST');
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
// No mail: wp_install() would tell the admin by mail, through a sendmail this machine lacks.
add_filter('pre_wp_mail', '__return_false');
$installed = wp_install('Site with a chat', 'admin', 'admin@example.invalid', false, '', wp_generate_password());
if (is_wp_error($installed)) { fwrite(STDERR, $installed->get_error_message()); exit(1); }
$activated = activate_plugin('ai-stream-chat/ai-stream-chat.php');
if (is_wp_error($activated)) { fwrite(STDERR, $activated->get_error_message()); exit(1); }
// Through the settings page's own sanitizer, as a save from the form would.
update_option('ai_stream_chat_settings', ai_stream_chat_sanitize(array('server_url' => getenv('AISC_CHAT_SERVER') . '/')));
$pages = json_decode(getenv('AISC_PAGES'), true);
$urls = array();
foreach ($pages as $name => $page) {
  $id = wp_insert_post(array('post_type' => 'page', 'post_status' => 'publish', 'post_title' => $page['title'], 'post_content' => $page['content']), true);
  if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }
  $urls[$name] = get_permalink($id);
}
echo json_encode($urls);
`;

/** A random loopback address (127.0.0.0/8 all reaches this machine on Linux) no other site's config file names. */
function unusedLoopbackHost() {
  for (;;) {
    const [a, b, c] = randomBytes(3);
    const host = `127.${a}.${b}.${2 + (c % 250)}`;
    const configFile = `/etc/wordpress/config-${host}.php`;
    if (!existsSync(configFile)) return { host, configFile };
  }
}

/**
 * Starts the site. `chatServerUrl`: http(s) base of the chat server the
 * plugin points at; `pages`: { name: { title, content } } to create.
 * Resolves to { url, host, pages: { name: url }, close() }.
 */
export async function startWordPress({ chatServerUrl, pages }) {
  const programs = ensureWordPress();
  const dir = mkdtempSync(join(tmpdir(), 'ai-stream-chat-wordpress-'));
  const { host, configFile } = unusedLoopbackHost();
  const processes = [];
  const close = async () => {
    for (const child of processes.reverse()) await stop(child);
    if (existsSync(configFile)) unlinkSync(configFile);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // MariaDB on a socket in the folder; no grant tables, so root needs no password.
    const data = join(dir, 'db');
    const socket = join(dir, 'mariadb.sock');
    execFileSync(
      programs.mariadbInstallDb,
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--user=root',
        '--skip-test-db',
        '--auth-root-authentication-method=normal',
      ],
      { stdio: 'ignore' },
    );
    const mariadb = spawn(
      programs.mariadbd,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        '--skip-networking',
        '--skip-grant-tables',
        '--user=root',
      ],
      { stdio: 'ignore' },
    );
    processes.push(mariadb);
    await until('mariadbd', () => {
      if (mariadb.exitCode !== null) throw new Error(`mariadbd exited with ${mariadb.exitCode}`);
      try {
        execFileSync(programs.mariadb, ['-S', socket, '-e', 'CREATE DATABASE IF NOT EXISTS wordpress'], {
          stdio: 'ignore',
        });
        return true;
      } catch {
        return false;
      }
    });

    const content = join(dir, 'wp-content');
    mkdirSync(join(content, 'plugins'), { recursive: true });
    symlinkSync(join(root, 'wordpress', 'ai-stream-chat'), join(content, 'plugins', 'ai-stream-chat'));
    symlinkSync(join(WORDPRESS, 'wp-content', 'themes'), join(content, 'themes'));
    const port = await freePort(host);
    const url = `http://${host}:${port}`;
    writeFileSync(
      configFile,
      `<?php
// Written by ai-stream-chat's scripts/wordpress-site.mjs for one test run; removed after it.
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:${socket}');
define('WP_HOME', '${url}');
define('WP_SITEURL', '${url}');
define('WP_CONTENT_DIR', '${content}');
define('WP_CONTENT_URL', '${url}/wp-content');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
`,
    );
    const setupFile = join(dir, 'setup.php');
    writeFileSync(setupFile, SETUP_PHP);
    const urls = JSON.parse(
      execFileSync(programs.php, [setupFile], {
        encoding: 'utf8',
        env: {
          ...process.env,
          AISC_HOST: `${host}:${port}`,
          AISC_CHAT_SERVER: chatServerUrl,
          AISC_PAGES: JSON.stringify(pages),
        },
      }),
    );
    const php = spawn(programs.php, ['-S', `${host}:${port}`, '-t', WORDPRESS], { stdio: 'ignore' });
    processes.push(php);
    await until('php -S', async () => {
      if (php.exitCode !== null) throw new Error(`php -S exited with ${php.exitCode}`);
      try {
        await fetch(`${url}/wp-includes/css/dashicons.min.css`);
        return true;
      } catch {
        return false;
      }
    });
    return { url, host, pages: urls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
