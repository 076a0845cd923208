/**
 * The binary's options come from one table (src/dev-server/cli-options.ts):
 * its parser, its --help text, and README's flag table must all say the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cliOptionTable, parseCliOptions, usage } from '../../src/cli/cli-options.js';

interface ReadmeRow {
  flags: string[];
  envs: string[];
  shownDefault: string;
}

/** The rows of README's flag table, under "## Dev server". */
function readmeRows(): ReadmeRow[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Dev server'), readme.indexOf('### Demo controls'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| flag') && !line.startsWith('| ---'))
    .map((line) => {
      const [flagCell = '', envCell = '', defaultCell = ''] = line.split('|').slice(1);
      return {
        flags: [...flagCell.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1] as string),
        envs: [...envCell.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string),
        shownDefault: defaultCell.replaceAll('`', '').trim(),
      };
    });
}

const options = Object.values(cliOptionTable) as {
  flag?: string;
  env?: string;
  default?: string;
  shownDefault?: string;
}[];

describe('CLI option table', () => {
  it('README lists every flag once, with its environment variable and default, and no other flag', () => {
    const rows = readmeRows();
    const listed = rows.flatMap((r) => r.flags);
    assert.deepEqual(
      [...listed].sort(),
      options
        .map((o) => o.flag)
        .filter((f) => f !== undefined)
        .sort(),
    );
    for (const o of options) {
      // A variable read without a flag has a row of its own, or shares the row of the flag it serves.
      const row = o.flag
        ? rows.find((r) => r.flags.includes(o.flag as string))
        : (rows.find((r) => r.flags.length === 0 && r.envs.includes(o.env as string)) ??
          rows.find((r) => r.envs.includes(o.env as string)));
      assert.ok(row, `README has a row for ${o.flag ?? o.env}`);
      if (o.env)
        assert.ok(
          rows.some((r) => r.envs.includes(o.env as string)),
          `README names ${o.env}`,
        );
      if (o.flag && o.env) assert.ok(row.envs.includes(o.env), `${o.flag} reads ${o.env}`);
      const shown = o.shownDefault ?? o.default;
      if (shown !== undefined && (o.flag || row.flags.length === 0)) {
        assert.ok(
          row.shownDefault.startsWith(shown),
          `${o.flag ?? o.env}: README says ${row.shownDefault}, the table ${shown}`,
        );
      }
    }
  });

  it('--help names every flag, its variable and its default', () => {
    for (const o of options) {
      if (o.flag) assert.ok(usage.includes(o.flag), o.flag);
      if (o.env) assert.ok(usage.includes(o.env), o.env);
    }
    assert.match(usage, /--port <n> +Port to listen on [^-]*\(env PORT;\s+default 8787\)/);
  });

  it('every default parses, and a bad value is refused with the flag named', () => {
    const parsed = parseCliOptions([], {});
    assert.equal(parsed.maxHistoryMessages, 200);
    assert.equal(parsed.redisGraceMs, 10_000);
    for (const o of options) {
      if (
        !o.flag ||
        o.default === undefined ||
        /^--(host|follow-up|source|log-level|rate|trust-proxy-header)$/.test(o.flag)
      )
        continue;
      assert.throws(() => parseCliOptions([`${o.flag}=nope`], {}), new RegExp(`${o.flag} must be`), o.flag);
      if (o.flag === '--seed') continue; // any integer is a seed
      assert.throws(() => parseCliOptions([`${o.flag}=-5`], {}), new RegExp(`${o.flag} must be`), o.flag);
    }
  });

  it('passes the hardening limits through as numbers', () => {
    const parsed = parseCliOptions(
      [
        ...['--max-new-conversations-per-ip', '5', '--new-conversation-window-ms', '1000'],
        ...['--max-conversations', '7', '--conversation-ttl-ms', '60000', '--max-history-messages', '50'],
        ...[
          '--welcome-history-chars',
          '9000',
          '--headers-timeout-ms',
          '2000',
          '--request-timeout-ms',
          '3000',
        ],
        ...['--redis-grace-ms', '4000', '--max-connections', '11', '--max-connections-per-ip', '3'],
      ],
      {},
    );
    assert.deepEqual(
      [
        parsed.maxNewConversationsPerIp,
        parsed.newConversationWindowMs,
        parsed.maxConversations,
        parsed.conversationTtlMs,
        parsed.maxHistoryMessages,
        parsed.welcomeHistoryChars,
        parsed.headersTimeoutMs,
        parsed.requestTimeoutMs,
        parsed.redisGraceMs,
        parsed.maxConnections,
        parsed.maxConnectionsPerIp,
      ],
      [5, 1000, 7, 60_000, 50, 9000, 2000, 3000, 4000, 11, 3],
    );
    assert.throws(
      () => parseCliOptions(['--headers-timeout-ms', '5000', '--request-timeout-ms', '1000'], {}),
      /--request-timeout-ms must be at least --headers-timeout-ms/,
    );
  });

  it('takes trusted proxies and their header, and refuses what is no address or header name', () => {
    const parsed = parseCliOptions(
      ['--trust-proxy', '127.0.0.1, 10.0.0.0/8,::1', '--trust-proxy-header', 'X-Real-IP'],
      {},
    );
    assert.deepEqual(parsed.trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1']);
    assert.equal(parsed.trustProxyHeader, 'x-real-ip');
    assert.equal(parseCliOptions([], {}).trustProxy, undefined, 'no proxy is trusted unless named');
    assert.throws(
      () => parseCliOptions(['--trust-proxy', 'proxy.local'], {}),
      /--trust-proxy: "proxy.local" is not an address/,
    );
    assert.throws(
      () => parseCliOptions(['--trust-proxy', '10.0.0.0/33'], {}),
      /--trust-proxy: "10.0.0.0\/33"/,
    );
    assert.throws(() => parseCliOptions(['--trust-proxy', ','], {}), /--trust-proxy must name at least one/);
    assert.throws(
      () => parseCliOptions(['--trust-proxy', '127.0.0.1', '--trust-proxy-header', 'x forwarded'], {}),
      /--trust-proxy-header must be an HTTP header name/,
    );
  });

  it('takes Redis Cluster seed nodes, not together with --redis', () => {
    const parsed = parseCliOptions(['--redis-cluster', '10.0.0.5:6379, 10.0.0.6:6380'], {});
    assert.deepEqual(parsed.redisCluster, ['10.0.0.5:6379', '10.0.0.6:6380']);
    assert.deepEqual(parseCliOptions([], { REDIS_CLUSTER: 'a:1' }).redisCluster, ['a:1']);
    assert.throws(() => parseCliOptions(['--redis-cluster', '10.0.0.5'], {}), /--redis-cluster .* host:port/);
    assert.throws(
      () => parseCliOptions(['--redis-cluster', 'a:1', '--redis', 'redis://b:2'], {}),
      /--redis and --redis-cluster/,
    );
  });
});
