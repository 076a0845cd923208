import { parseArgs } from 'node:util';

export interface CliOptions {
  help: boolean;
  port: number;
  host: string;
  seed: number;
  tokensPerSecond: number;
  sections: number;
  heartbeatMs: number;
  followUp: 'queue' | 'interrupt';
  /** Where answers come from: the mock or an OpenAI-compatible API. */
  source: 'mock' | 'openai';
  /** Model for `--source openai`. */
  model: string | undefined;
  /** `OPENAI_BASE_URL`, if set. */
  openaiBaseURL: string | undefined;
  /** `OPENAI_API_KEY`, if set. */
  openaiApiKey: string | undefined;
  /** `--allowed-origins`, split on commas. */
  allowedOrigins: string[] | undefined;
  /** `--require-session`: upgrades need a token from POST /session. */
  requireSession: boolean;
  /** `--session-ttl-ms`: how long a session token works. */
  sessionTtlMs: number;
  /** `SESSION_SECRET`, if set. */
  sessionSecret: string | undefined;
  /** `--demo-controls`: dev-only slow-network and drop endpoints for the demo page. */
  demoControls: boolean;
  /** `--redis` or env `REDIS_URL`: keep conversations in Redis, shared by many nodes. */
  redisUrl: string | undefined;
  /** `--history-ttl-ms`: how long Redis keeps a conversation after its last message. */
  historyTtlMs: number | undefined;
  /** pino level of the JSON logs on stdout. */
  logLevel: LogLevel;
  /** How long SIGTERM lets answers being generated finish. */
  drainMs: number;
  /** `--tls-cert` and `--tls-key`: paths of PEM files; both or neither. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const usage = `Usage: ai-stream-chat-server [options]

Serves the demo page and the built widget, and streams answers over WebSocket on /ws.

Options:
  --port <n>          Port to listen on (env PORT; default 8787; 0 picks a free port)
  --host <addr>       Interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --seed <n>          Seed of the mock answers (default 1)
  --rate <n>          Mock tokens per second, or "max" (default 50)
  --sections <n>      Sections per mock answer (default 1)
  --heartbeat-ms <n>  WebSocket heartbeat interval (default 15000)
  --follow-up <p>     A message sent while an answer streams: queue (default) or interrupt
  --source <name>     Where answers come from: mock (default) or openai
  --model <name>      Model for --source openai (required with it)
                      (--source openai reads env OPENAI_BASE_URL and OPENAI_API_KEY)
  --allowed-origins <list>  Comma-separated origins allowed to connect, e.g.
                      https://example.com,http://localhost:5173 (default: any)
  --require-session   Serve POST /session and refuse upgrades without its token
                      (signed with env SESSION_SECRET, random per start if unset)
  --session-ttl-ms <n>  How long a session token works (default 3600000)
  --demo-controls     Dev only: serve POST /demo/network {"delayMs": n} (delay every
                      frame sent) and POST /demo/drop (drop every socket) for the
                      demo page's slow-network and drop switches (default off)
  --redis <url>       Keep conversations in Redis (redis://host:port[/db], rediss:// for
                      TLS; env REDIS_URL) so many nodes behind a load balancer share
                      them; default: this process's memory
  --history-ttl-ms <n>  With --redis: delete a conversation this long after its last
                      message (default 604800000, 7 days)
  --log-level <lvl>   JSON logs on stdout: fatal, error, warn, info (default), debug,
                      trace or silent
  --drain-ms <n>      On SIGTERM: refuse new sockets, close clients with 1001, let
                      answers being generated finish for this long, then exit 0
                      (default 10000)
  --tls-cert <file>   Serve HTTPS and WSS with this PEM certificate (with --tls-key)
  --tls-key <file>    PEM private key for --tls-cert
  -h, --help          Show this help
`;

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses argv and env into validated options; throws an Error whose message says what is wrong. */
export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '50' },
      sections: { type: 'string', default: '1' },
      'heartbeat-ms': { type: 'string', default: '15000' },
      'follow-up': { type: 'string', default: 'queue' },
      source: { type: 'string', default: 'mock' },
      model: { type: 'string' },
      'allowed-origins': { type: 'string' },
      'require-session': { type: 'boolean', default: false },
      'session-ttl-ms': { type: 'string', default: '3600000' },
      'demo-controls': { type: 'boolean', default: false },
      redis: { type: 'string' },
      'history-ttl-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'drain-ms': { type: 'string', default: '10000' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
  });
  const rate = values.rate === 'max' ? Number.POSITIVE_INFINITY : Number(values.rate);
  if (!(rate > 0))
    throw new Error(`--rate must be a positive number or "max", got ${JSON.stringify(values.rate)}`);
  const followUp = values['follow-up'];
  if (followUp !== 'queue' && followUp !== 'interrupt') {
    throw new Error(`--follow-up must be "queue" or "interrupt", got ${JSON.stringify(followUp)}`);
  }
  if (values.source !== 'mock' && values.source !== 'openai') {
    throw new Error(`--source must be "mock" or "openai", got ${JSON.stringify(values.source)}`);
  }
  if (values.source === 'openai' && !values.model?.trim() && !values.help) {
    throw new Error('--source openai needs --model <name> (e.g. gpt-4o-mini, or llama3.2 on Ollama)');
  }
  const baseURL = env.OPENAI_BASE_URL || undefined;
  if (values.source === 'openai' && baseURL !== undefined && !/^https?:\/\/./.test(baseURL)) {
    throw new Error(`OPENAI_BASE_URL must be an http(s) URL, got ${JSON.stringify(baseURL)}`);
  }
  if (values['require-session'] && env.SESSION_SECRET && Buffer.byteLength(env.SESSION_SECRET) < 32) {
    throw new Error('SESSION_SECRET must be at least 32 bytes long (e.g. openssl rand -base64 32)');
  }
  const redisUrl = values.redis ?? (env.REDIS_URL || undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\/./.test(redisUrl)) {
    throw new Error(
      `--redis (or REDIS_URL) must be a redis:// or rediss:// URL, got ${JSON.stringify(redisUrl)}`,
    );
  }
  const logLevel = values['log-level'] as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw new Error(`--log-level must be one of ${logLevels.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new Error('--tls-cert and --tls-key go together: give both or neither');
  }
  return {
    help: values.help,
    redisUrl,
    historyTtlMs:
      values['history-ttl-ms'] === undefined
        ? undefined
        : integer('--history-ttl-ms', values['history-ttl-ms'], 1000, 2 ** 31 - 1),
    logLevel,
    drainMs: integer('--drain-ms', values['drain-ms'], 1, 3_600_000),
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    followUp,
    port: integer('--port', values.port ?? env.PORT ?? '8787', 0, 65535),
    host: values.host,
    seed: integer('--seed', values.seed, -(2 ** 31), 2 ** 31 - 1),
    tokensPerSecond: rate,
    sections: integer('--sections', values.sections, 1, 1000),
    heartbeatMs: integer('--heartbeat-ms', values['heartbeat-ms'], 100, 3_600_000),
    source: values.source,
    model: values.model,
    openaiBaseURL: baseURL,
    openaiApiKey: env.OPENAI_API_KEY || undefined,
    allowedOrigins: values['allowed-origins']
      ?.split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    requireSession: values['require-session'],
    sessionTtlMs: integer('--session-ttl-ms', values['session-ttl-ms'], 1000, 7 * 24 * 3_600_000),
    sessionSecret: env.SESSION_SECRET || undefined,
    demoControls: values['demo-controls'],
  };
}
