/**
 * The test folders node's test runner runs, shared by the whole suite
 * (scripts/test.mjs) and by `npm run test:node`, so neither can forget one:
 * the engine-independent folders, run once, and the page tests, which drive
 * a browser and run once per engine. Run directly, it runs both (the page
 * tests in $BROWSER_ENGINE, Chromium by default) after finding or installing
 * that engine, redis-server and Debian's WordPress, PHP and MariaDB, and
 * passes its arguments on to `node --test`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Folders whose tests do not depend on the browser engine. */
export const NODE_TEST_FOLDERS = [
  'test/protocol',
  'test/server',
  'test/client',
  'test/fault',
  'test/package',
  'test/bench',
];

/** Folders of page tests: node tests that drive the browser engine $BROWSER_ENGINE names (test/pages/engine-page.ts). */
export const PAGE_TEST_FOLDERS = ['test/pages'];

/** The `*.test.ts` files under `dir` (relative to the repository root), sorted. */
export function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(root.length))
    .sort();
}

/** Every engine-independent node test file. */
export function nodeTestFiles() {
  return NODE_TEST_FOLDERS.flatMap(testFiles);
}

/** Every page test file. */
export function pageTestFiles() {
  return PAGE_TEST_FOLDERS.flatMap(testFiles);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { engineFromEnv } = await import('./browser-engines.mjs');
  const deps = await import('./system-deps.mjs');
  const engine = engineFromEnv();
  if (engine === 'chromium') deps.ensureChromium();
  else if (engine === 'firefox') deps.ensureFirefox();
  else deps.ensureWebKit();
  deps.ensureWordPress();
  const env = { ...process.env, BROWSER_ENGINE: engine, REDIS_SERVER_PATH: deps.ensureRedisServer() };
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      ...process.argv.slice(2),
      ...nodeTestFiles(),
      ...pageTestFiles(),
    ],
    { cwd: root, stdio: 'inherit', env },
  );
  process.exit(result.status ?? 1);
}
