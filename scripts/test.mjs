/**
 * The whole test suite, as `npm test` runs it: set-up, lint, type check,
 * build, node tests, then the browser tests (web-test-runner, and the page
 * tests in test/pages) once per engine: Chromium, Firefox, WebKit
 * (scripts/browser-engines.mjs). Lists every test an engine skipped, with
 * why, and each engine's version and wall time. Ends with one line
 * "N passed, N failed" summing every runner (lint and type check count as
 * one check each), and exits non-zero on any failure.
 *
 * `--engines chromium,webkit` (or $TEST_ENGINES) runs the browser tests in
 * those engines only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_NAMES, ENGINES } from './browser-engines.mjs';
import { nodeTestFiles, pageTestFiles } from './node-tests.mjs';
import {
  ensureChromium,
  ensureFirefox,
  ensureRedisServer,
  ensureWebKit,
  ensureWordPress,
} from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ai-stream-chat-test-'));
const totals = { passed: 0, failed: 0 };

function run(title, command, args, env = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

/** Runs node's test runner on `files`, adds its TAP counts to the totals; returns the skipped tests' lines. */
function nodeTests(title, files, env = {}) {
  const tap = join(work, `${title.replace(/\W+/g, '-')}.tap`);
  run(
    title,
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    env,
  );
  try {
    const report = readFileSync(tap, 'utf8');
    const count = (name) => Number(report.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
    totals.passed += count('pass');
    totals.failed += count('fail') + count('cancelled');
    // "ok 2 - title # SKIP why"
    return [...report.matchAll(/^\s*ok \d+ - (.*) # SKIP (.*)$/gm)].map(
      ([, name, why]) => `${name} [${why}]`,
    );
  } catch {
    process.stdout.write(`${title} produced no report\n`);
    totals.failed++;
    return [];
  }
}

function check(title, command, args) {
  const ok = run(title, command, args);
  totals[ok ? 'passed' : 'failed']++;
  return ok;
}

function finish() {
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed\n`);
  process.exit(totals.failed === 0 ? 0 : 1);
}

const npx = (bin) => join(root, 'node_modules', '.bin', bin);

/** The engines a plain `npm test` runs: all three (`--engines` runs fewer). */
const DEFAULT_ENGINES = ENGINES;

function enginesToRun() {
  const i = process.argv.indexOf('--engines');
  const list = (i >= 0 ? process.argv[i + 1] : process.env.TEST_ENGINES) ?? DEFAULT_ENGINES.join(',');
  const engines = list.split(',').filter(Boolean);
  for (const engine of engines) {
    if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}: one of ${ENGINES.join(', ')}`);
  }
  return engines;
}

const firstLine = (command, args) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(
      '\n',
    )[0];
  } catch {
    return undefined;
  }
};

/** Each engine's program and version, installing it when missing (where possible). */
const engines = enginesToRun().map((engine) => {
  if (engine === 'chromium') {
    const path = ensureChromium();
    return { engine, path, version: firstLine(path, ['--version']) };
  }
  if (engine === 'firefox') {
    const path = ensureFirefox();
    return { engine, path, version: firstLine(path, ['--version']) };
  }
  const webkit = ensureWebKit();
  // MiniBrowser says its version only with a display; Debian's package says it too
  // ("libwebkit2gtk-4.1-0:amd64<TAB>2.50.6-1~deb12u2").
  const installed = firstLine('dpkg-query', ['-W', 'libwebkit2gtk-4.1-0'])?.split('\t')[1];
  const version = installed ? `WebKitGTK ${installed}` : undefined;
  return { engine, path: webkit.browser, version };
});
for (const { engine, path, version } of engines) {
  process.stdout.write(`${ENGINE_NAMES[engine]}: ${path} (${version ?? 'version unknown'})\n`);
}
const redisServer = ensureRedisServer();
process.stdout.write(`redis-server: ${redisServer}\n`);
process.env.REDIS_SERVER_PATH = redisServer;
// The WordPress test runs the plugin in Debian's WordPress, with its own MariaDB and php -S.
process.stdout.write(`WordPress: ${ensureWordPress().wordpress}\n`);

check('lint and format (biome)', npx('biome'), ['check', '--error-on-warnings', '.']);
check('type check (tsc)', npx('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
if (!check('build', 'npm', ['run', 'build'])) finish();
check(
  'size budget: dist/ai-stream-chat.js and dist/ai-stream-chat.iife.js ≤ 60 KB gzip each',
  process.execPath,
  ['scripts/size.mjs'],
);

nodeTests('node tests', nodeTestFiles());

/** web-test-runner in one engine: its counts, and the tests it skipped (each title says why). */
function browserTests(engine) {
  const counts = join(work, `browser-${engine}.json`);
  const ok = run(`browser tests (web-test-runner, ${ENGINE_NAMES[engine]})`, npx('web-test-runner'), [], {
    WTR_COUNTS_FILE: counts,
    BROWSER_ENGINE: engine,
  });
  try {
    const { passed, failed, skipped } = JSON.parse(readFileSync(counts, 'utf8'));
    totals.passed += passed;
    totals.failed += failed;
    if (!ok && failed === 0) totals.failed++;
    return { passed, failed, skipped };
  } catch {
    process.stdout.write('browser tests produced no report\n');
    totals.failed++;
    return { passed: 0, failed: 1, skipped: [] };
  }
}

const pageFiles = pageTestFiles();
const report = [];
for (const { engine, version } of engines) {
  const name = ENGINE_NAMES[engine];
  const started = performance.now();
  const before = { ...totals };
  const browser = browserTests(engine);
  const browserSeconds = (performance.now() - started) / 1000;
  const pagesStarted = performance.now();
  const pagesBefore = { ...totals };
  const pageSkips = nodeTests(`page tests (test/pages, ${name})`, pageFiles, { BROWSER_ENGINE: engine });
  const pageSeconds = (performance.now() - pagesStarted) / 1000;
  report.push({
    name,
    version,
    browser: { ...browser, seconds: browserSeconds },
    pages: {
      passed: totals.passed - pagesBefore.passed,
      failed: totals.failed - pagesBefore.failed,
      skipped: pageSkips,
      seconds: pageSeconds,
    },
    failed: totals.failed - before.failed,
  });
}

process.stdout.write('\n=== browser engines\n');
for (const r of report) {
  const line = (what, x) =>
    `  ${what}: ${x.passed} passed, ${x.failed} failed, ${x.skipped.length} skipped, ${Math.round(x.seconds)} s\n`;
  process.stdout.write(`${r.name} (${r.version ?? 'version unknown'})\n`);
  process.stdout.write(line('web-test-runner', r.browser));
  process.stdout.write(line('page tests', r.pages));
  for (const skipped of [...r.browser.skipped, ...r.pages.skipped]) {
    process.stdout.write(`  skipped: ${skipped}\n`);
  }
}

finish();
