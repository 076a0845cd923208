/**
 * The server binary's options, defined once: this table makes the parser,
 * the `--help` text, and the flag table in README.md (checked against it by
 * test/dev-server/cli-options.test.ts). Each value is checked by a valibot
 * schema whose messages name the flag.
 */
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { MIN_SECRET_BYTES } from '../server/auth/session-token.js';
import { SERVER_DEFAULTS } from '../server/defaults.js';
import { trustProxy } from '../server/transport/trusted-proxy.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** A flag's raw text in, its value out; an issue's message names the flag. */
type ValueSchema<T> = v.GenericSchema<string, T>;

function integer(flag: string, min: number, max: number): ValueSchema<number> {
  const message = (issue: v.BaseIssue<unknown>) =>
    `${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(String(issue.input))}`;
  return v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^-?\d+$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

function oneOf<const T extends readonly string[]>(flag: string, values: T): ValueSchema<T[number]> {
  return v.picklist(values, (issue) =>
    values.length === 2
      ? `${flag} must be "${values[0]}" or "${values[1]}", got ${JSON.stringify(issue.input)}`
      : `${flag} must be one of ${values.join(', ')}, got ${JSON.stringify(issue.input)}`,
  );
}

const text: ValueSchema<string> = v.string();

/** Milliseconds from 1 up to about 24.8 days (what a Node timer takes). */
const ms = (flag: string, min = 1) => integer(flag, min, 2 ** 31 - 1);
const count = (flag: string) => integer(flag, 1, 2 ** 31 - 1);

interface Option<T> {
  /** The long flag, or undefined for an environment variable alone. */
  flag?: `--${string}`;
  short?: string;
  /** The value's placeholder in the usage (`<n>`); absent for a switch. */
  arg?: string;
  /** Environment variable read when the flag is absent. */
  env?: string;
  /** The default, as typed on the command line. */
  default?: string;
  /** How the usage and README show the default when it is no value (e.g. "any origin"). */
  shownDefault?: string;
  help: string;
  schema?: ValueSchema<T>;
}

const d = SERVER_DEFAULTS;

/** Every option of the binary, in the order the usage and README list them. */
export const cliOptionTable = {
  port: {
    flag: '--port',
    arg: '<n>',
    env: 'PORT',
    default: String(d.port),
    help: 'Port to listen on (0 picks a free port)',
    schema: integer('--port', 0, 65535),
  },
  host: {
    flag: '--host',
    arg: '<addr>',
    default: d.host,
    help: 'Interface to listen on (0.0.0.0 for all)',
    schema: text,
  },
  seed: {
    flag: '--seed',
    arg: '<n>',
    default: '1',
    help: 'Seed of the mock answers',
    schema: integer('--seed', -(2 ** 31), 2 ** 31 - 1),
  },
  tokensPerSecond: {
    flag: '--rate',
    arg: '<n>',
    default: '50',
    help: 'Mock tokens per second, or "max"',
    schema: v.pipe(
      v.string(),
      v.transform((raw) => (raw === 'max' ? Number.POSITIVE_INFINITY : Number(raw))),
      v.check(
        (rate) => rate > 0,
        (issue) => `--rate must be a positive number or "max", got ${JSON.stringify(String(issue.input))}`,
      ),
    ),
  },
  sections: {
    flag: '--sections',
    arg: '<n>',
    default: '1',
    help: 'Sections per mock answer',
    schema: integer('--sections', 1, 1000),
  },
  mockParts: {
    flag: '--mock-parts',
    shownDefault: 'off',
    help: 'Mock answers also think, search and cite: reasoning, tool steps and sources',
  },
  heartbeatMs: {
    flag: '--heartbeat-ms',
    arg: '<n>',
    default: String(d.heartbeatMs),
    help: 'WebSocket heartbeat interval',
    schema: integer('--heartbeat-ms', 100, 3_600_000),
  },
  followUp: {
    flag: '--follow-up',
    arg: '<p>',
    default: d.followUp,
    help: 'A message sent while an answer streams: queue or interrupt',
    schema: oneOf('--follow-up', ['queue', 'interrupt'] as const),
  },
  source: {
    flag: '--source',
    arg: '<name>',
    default: 'mock',
    help: 'Where answers come from: mock or openai',
    schema: oneOf('--source', ['mock', 'openai'] as const),
  },
  model: {
    flag: '--model',
    arg: '<name>',
    shownDefault: 'none (required with --source openai)',
    help: 'Model for --source openai',
    schema: text,
  },
  openaiBaseURL: {
    env: 'OPENAI_BASE_URL',
    shownDefault: 'https://api.openai.com/v1',
    help: 'Base URL of the OpenAI-compatible API, with /v1',
    schema: text,
  },
  tokenLimitField: {
    flag: '--token-limit-field',
    arg: '<f>',
    default: 'auto',
    help: 'Field for maxTokens upstream: max_tokens, max_completion_tokens, or auto (by model)',
    schema: oneOf('--token-limit-field', ['auto', 'max_tokens', 'max_completion_tokens'] as const),
  },
  openaiApiKey: {
    env: 'OPENAI_API_KEY',
    shownDefault: 'not-set',
    help: 'Bearer token sent upstream',
    schema: text,
  },
  allowedOrigins: {
    flag: '--allowed-origins',
    arg: '<list>',
    shownDefault: 'any origin',
    help: 'Comma-separated origins allowed to connect',
    schema: v.pipe(
      v.string(),
      v.transform((list) =>
        list
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o !== ''),
      ),
    ),
  },
  requireSession: {
    flag: '--require-session',
    shownDefault: 'off',
    help: 'Serve POST /session and refuse upgrades without its token',
  },
  sessionSecret: {
    env: 'SESSION_SECRET',
    shownDefault: 'random per start',
    help: `Secret that signs session tokens (at least ${MIN_SECRET_BYTES} bytes)`,
    schema: text,
  },
  sessionTtlMs: {
    flag: '--session-ttl-ms',
    arg: '<n>',
    default: String(d.sessionTtlMs),
    help: 'How long a session token works',
    schema: integer('--session-ttl-ms', 1000, 7 * 24 * 3_600_000),
  },
  demoControls: {
    flag: '--demo-controls',
    shownDefault: 'off',
    help: "Dev only: the demo page's slow-network and drop switches",
  },
  redisUrl: {
    flag: '--redis',
    arg: '<url>',
    env: 'REDIS_URL',
    shownDefault: 'off (memory)',
    help: 'Keep conversations in Redis (redis:// or rediss://) so many nodes share them',
    schema: v.pipe(
      v.string(),
      v.regex(
        /^rediss?:\/\/./,
        (issue) =>
          `--redis (or REDIS_URL) must be a redis:// or rediss:// URL, got ${JSON.stringify(issue.input)}`,
      ),
    ),
  },
  redisCluster: {
    flag: '--redis-cluster',
    arg: '<list>',
    env: 'REDIS_CLUSTER',
    shownDefault: 'off',
    help: 'Keep conversations in a Redis Cluster instead: comma-separated seed nodes (host:port)',
    schema: v.pipe(
      v.string(),
      v.transform((list) =>
        list
          .split(',')
          .map((seed) => seed.trim())
          .filter((seed) => seed !== ''),
      ),
      v.check(
        (seeds) => seeds.length > 0 && seeds.every((seed) => /^[^\s:]+:\d{1,5}$/.test(seed)),
        (issue) =>
          `--redis-cluster (or REDIS_CLUSTER) must list seed nodes as host:port, got ${JSON.stringify(issue.input)}`,
      ),
    ),
  },
  historyTtlMs: {
    flag: '--history-ttl-ms',
    arg: '<n>',
    default: String(d.historyTtlMs),
    help: 'With --redis: delete a conversation this long after its last message',
    schema: ms('--history-ttl-ms', 1000),
  },
  redisGraceMs: {
    flag: '--redis-grace-ms',
    arg: '<n>',
    default: String(d.redisGraceMs),
    help: 'With --redis: how long Redis may be away before live answers end interrupted',
    schema: ms('--redis-grace-ms', 1000),
  },
  logLevel: {
    flag: '--log-level',
    arg: '<lvl>',
    default: 'info',
    help: 'JSON logs on stdout: fatal, error, warn, info, debug, trace or silent',
    schema: oneOf('--log-level', logLevels),
  },
  drainMs: {
    flag: '--drain-ms',
    arg: '<n>',
    default: String(d.drainMs),
    help: 'On SIGTERM: how long answers being generated may finish',
    schema: integer('--drain-ms', 1, 3_600_000),
  },
  tlsCert: {
    flag: '--tls-cert',
    arg: '<file>',
    shownDefault: 'none',
    help: 'Serve HTTPS and WSS with this PEM certificate (with --tls-key)',
    schema: text,
  },
  tlsKey: {
    flag: '--tls-key',
    arg: '<file>',
    shownDefault: 'none',
    help: 'PEM private key for --tls-cert',
    schema: text,
  },
  maxConnections: {
    flag: '--max-connections',
    arg: '<n>',
    default: String(d.maxConnections),
    help: 'WebSocket connections (and upgrades in progress) in total',
    schema: count('--max-connections'),
  },
  maxConnectionsPerIp: {
    flag: '--max-connections-per-ip',
    arg: '<n>',
    default: String(d.maxConnectionsPerIp),
    help: 'Connections per client address, counted from their first byte',
    schema: count('--max-connections-per-ip'),
  },
  trustProxy: {
    flag: '--trust-proxy',
    arg: '<list>',
    shownDefault: 'none',
    help: 'Comma-separated addresses or CIDR ranges of reverse proxies whose client-address header is believed',
    schema: v.pipe(
      v.string(),
      v.transform((list) =>
        list
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== ''),
      ),
      v.check(
        (list) => list.length > 0,
        '--trust-proxy must name at least one address or CIDR range, e.g. 127.0.0.1 or 10.0.0.0/8',
      ),
    ),
  },
  trustProxyHeader: {
    flag: '--trust-proxy-header',
    arg: '<name>',
    default: 'x-forwarded-for',
    help: 'With --trust-proxy: the header the proxies append the client address to',
    schema: v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.regex(
        /^[a-z0-9!#$%&'*+.^_`|~-]+$/,
        (issue) => `--trust-proxy-header must be an HTTP header name, got ${JSON.stringify(issue.input)}`,
      ),
    ),
  },
  headersTimeoutMs: {
    flag: '--headers-timeout-ms',
    arg: '<n>',
    default: String(d.headersTimeoutMs),
    help: 'A request whose headers are not all in by then gets 408',
    schema: ms('--headers-timeout-ms'),
  },
  requestTimeoutMs: {
    flag: '--request-timeout-ms',
    arg: '<n>',
    default: String(d.requestTimeoutMs),
    help: 'A request whose body is not all in by then gets 408',
    schema: ms('--request-timeout-ms'),
  },
  maxNewConversationsPerIp: {
    flag: '--max-new-conversations-per-ip',
    arg: '<n>',
    default: String(d.maxNewConversationsPerIp),
    help: 'New conversations one address may open per window',
    schema: count('--max-new-conversations-per-ip'),
  },
  newConversationWindowMs: {
    flag: '--new-conversation-window-ms',
    arg: '<n>',
    default: String(d.newConversationWindowMs),
    help: 'The window of --max-new-conversations-per-ip',
    schema: ms('--new-conversation-window-ms'),
  },
  maxConversations: {
    flag: '--max-conversations',
    arg: '<n>',
    default: String(d.maxConversations),
    help: 'In memory: conversations held at most (the least recently active idle one is evicted)',
    schema: count('--max-conversations'),
  },
  conversationTtlMs: {
    flag: '--conversation-ttl-ms',
    arg: '<n>',
    default: String(d.conversationTtlMs),
    help: 'In memory: forget a conversation this long after its last activity',
    schema: ms('--conversation-ttl-ms', 1000),
  },
  maxHistoryMessages: {
    flag: '--max-history-messages',
    arg: '<n>',
    default: String(d.maxHistoryMessages),
    help: 'Messages kept per conversation; older answered ones are dropped',
    schema: count('--max-history-messages'),
  },
  welcomeHistoryChars: {
    flag: '--welcome-history-chars',
    arg: '<n>',
    default: String(d.welcomeHistoryChars),
    help: 'Characters of history one welcome carries at most',
    schema: count('--welcome-history-chars'),
  },
  deltaWindowMs: {
    flag: '--delta-window-ms',
    arg: '<n>',
    default: String(d.deltaWindowMs),
    help: "A fast model's text made within this many ms of an answer's last delta joins the next delta (0: a delta per token)",
    schema: integer('--delta-window-ms', 0, 10_000),
  },
  help: { flag: '--help', short: 'h', help: 'Show this help' },
} satisfies Record<string, Option<unknown>>;

type Table = typeof cliOptionTable;
type ValueOf<K extends keyof Table> = Table[K] extends { schema: ValueSchema<infer T> } ? T : boolean;
type HasDefault<K extends keyof Table> = Table[K] extends { default: string } ? K : never;

/** Every option's value: a switch is a boolean; an option with a default always has a value. */
export type CliOptions = { [K in keyof Table as HasDefault<K>]: ValueOf<K> } & {
  [K in keyof Table as Table[K] extends { default: string } ? never : K]: Table[K] extends { schema: unknown }
    ? ValueOf<K> | undefined
    : boolean;
};

const entries = Object.entries(cliOptionTable) as [keyof Table, Option<unknown>][];

function wrap(words: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${indent}`).replaceAll('\u00a0', ' ');
}

/** The `--help` text. */
export const usage = `Usage: ai-stream-chat-server [options]

Serves the demo page and the built widget, and streams answers over WebSocket on /ws.

Options:
${entries
  .filter(([, o]) => o.flag)
  .map(([, o]) => {
    const name = `${o.short ? `-${o.short}, ` : ''}${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
    // No-break spaces keep "default 8787" on one line when the text wraps.
    const notes = [
      o.env && `env\u00a0${o.env}`,
      (o.shownDefault ?? o.default) && `default\u00a0${o.shownDefault ?? o.default}`,
    ]
      .filter(Boolean)
      .join('; ');
    const indent = ' '.repeat(38);
    return `  ${name.padEnd(35)} ${wrap(`${o.help}${notes ? ` (${notes})` : ''}`, 62, indent)}`;
  })
  .join('\n')}

Environment:
${entries
  .filter(([, o]) => !o.flag)
  .map(
    ([, o]) =>
      `  ${(o.env ?? '').padEnd(34)}${o.help}${o.shownDefault ? ` (default ${o.shownDefault})` : ''}`,
  )
  .join('\n')}
`;

/** Parses argv and env into checked options; throws an Error whose message names what is wrong. */
export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(
      entries
        .filter(([, o]) => o.flag)
        .map(([, o]) => [
          (o.flag as string).slice(2),
          {
            type: o.schema ? ('string' as const) : ('boolean' as const),
            ...(o.short ? { short: o.short } : {}),
          },
        ]),
    ),
  });
  const options: Record<string, unknown> = {};
  for (const [key, o] of entries) {
    const given = o.flag ? values[o.flag.slice(2)] : undefined;
    if (!o.schema) {
      options[key] = given === true;
      continue;
    }
    const raw = (given as string | undefined) ?? (o.env ? env[o.env] || undefined : undefined) ?? o.default;
    if (raw === undefined) {
      options[key] = undefined;
      continue;
    }
    const result = v.safeParse(o.schema, raw);
    if (!result.success) throw new Error(result.issues[0].message);
    options[key] = result.output;
  }
  const parsed = options as CliOptions;
  checkTogether(parsed);
  return parsed;
}

/** Rules that join options; each message names them. */
function checkTogether(o: CliOptions): void {
  if (o.source === 'openai' && !o.model?.trim() && !o.help) {
    throw new Error('--source openai needs --model <name> (e.g. gpt-4o-mini, or llama3.2 on Ollama)');
  }
  if (o.source === 'openai' && o.openaiBaseURL !== undefined && !/^https?:\/\/./.test(o.openaiBaseURL)) {
    throw new Error(`OPENAI_BASE_URL must be an http(s) URL, got ${JSON.stringify(o.openaiBaseURL)}`);
  }
  if (
    o.requireSession &&
    o.sessionSecret !== undefined &&
    Buffer.byteLength(o.sessionSecret) < MIN_SECRET_BYTES
  ) {
    throw new Error(
      `SESSION_SECRET must be at least ${MIN_SECRET_BYTES} bytes long (e.g. openssl rand -base64 ${MIN_SECRET_BYTES})`,
    );
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new Error('--tls-cert and --tls-key go together: give both or neither');
  }
  if (o.trustProxy !== undefined) {
    try {
      trustProxy({ proxies: o.trustProxy, header: o.trustProxyHeader }, '--trust-proxy');
    } catch (error) {
      throw new Error((error as Error).message.replace('--trust-proxy.proxies', '--trust-proxy'));
    }
  }
  if (o.redisUrl !== undefined && o.redisCluster !== undefined) {
    throw new Error('--redis and --redis-cluster both say where Redis is: give one');
  }
  if (o.requestTimeoutMs < o.headersTimeoutMs) {
    throw new Error('--request-timeout-ms must be at least --headers-timeout-ms');
  }
}
