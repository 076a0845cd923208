/**
 * Every test folder runs somewhere: `npm run test:node` and `npm test` run
 * the node and page folders of scripts/node-tests.mjs, web-test-runner the
 * browser folders of its config. A new folder in none would never run.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NODE_TEST_FOLDERS, PAGE_TEST_FOLDERS, testFiles } from '../../scripts/node-tests.mjs';

const root = new URL('../..', import.meta.url).pathname;

describe('test folders', () => {
  it('each folder with *.test.ts files is a node, page or web-test-runner folder, one of them only', () => {
    const config = readFileSync(`${root}web-test-runner.config.mjs`, 'utf8');
    const filesLine = /files:\s*\[([^\]]*)\]/.exec(config)?.[1] ?? '';
    const browserFolders = [...filesLine.matchAll(/'(test\/[\w-]+)\/\*\*\/\*\.test\.ts'/g)].map((m) => m[1]);
    assert.ok(browserFolders.length > 0, 'web-test-runner.config.mjs lists its folders');
    const folders = readdirSync(`${root}test`, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `test/${e.name}`)
      .filter((dir) => testFiles(dir).length > 0);
    for (const dir of folders) {
      const runners = [
        NODE_TEST_FOLDERS.includes(dir),
        PAGE_TEST_FOLDERS.includes(dir),
        browserFolders.includes(dir),
      ].filter(Boolean).length;
      assert.equal(runners, 1, `${dir} runs under exactly one runner`);
    }
  });
});
