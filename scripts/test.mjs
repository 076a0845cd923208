/**
 * The whole test suite, as `npm test` runs it: set-up, lint, type check,
 * build, node tests, browser tests. Ends with one line "N passed, N failed"
 * summing every runner (lint and type check count as one check each), and
 * exits non-zero on any failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureChromium, ensureRedisServer } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ai-stream-chat-test-'));
const totals = { passed: 0, failed: 0 };

function run(title, command, args, env = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function check(title, command, args) {
  const ok = run(title, command, args);
  totals[ok ? 'passed' : 'failed']++;
  return ok;
}

function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(root.length))
    .sort();
}

function finish() {
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed\n`);
  process.exit(totals.failed === 0 ? 0 : 1);
}

const npx = (bin) => join(root, 'node_modules', '.bin', bin);

const chromium = ensureChromium();
process.stdout.write(`Chromium: ${chromium}\n`);
const redisServer = ensureRedisServer();
process.stdout.write(`redis-server: ${redisServer}\n`);
process.env.REDIS_SERVER_PATH = redisServer;

check('lint and format (biome)', npx('biome'), ['check', '--error-on-warnings', '.']);
check('type check (tsc)', npx('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
if (!check('build', 'npm', ['run', 'build'])) finish();
check('size budget: dist/ai-stream-chat.iife.js ≤ 60 KB gzip', process.execPath, ['scripts/size.mjs']);

const nodeFiles = [
  'test/protocol',
  'test/server',
  'test/client',
  'test/fault',
  'test/pages',
  'test/package',
  'test/bench',
].flatMap(testFiles);
const tap = join(work, 'node.tap');
run('node tests', process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tap}`,
  ...nodeFiles,
]);
try {
  const report = readFileSync(tap, 'utf8');
  const count = (name) => Number(report.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  totals.passed += count('pass');
  totals.failed += count('fail') + count('cancelled');
} catch {
  process.stdout.write('node tests produced no report\n');
  totals.failed++;
}

const counts = join(work, 'browser.json');
const browserOk = run('browser tests (web-test-runner, Chromium)', npx('web-test-runner'), [], {
  WTR_COUNTS_FILE: counts,
  CHROME_PATH: chromium,
});
try {
  const { passed, failed } = JSON.parse(readFileSync(counts, 'utf8'));
  totals.passed += passed;
  totals.failed += failed;
  if (!browserOk && failed === 0) totals.failed++;
} catch {
  process.stdout.write('browser tests produced no report\n');
  totals.failed++;
}

finish();
