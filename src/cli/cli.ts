#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
// The CLI uses the public server API only: flags in, library options out.
import {
  type ChatSource,
  createMockSource,
  createOpenAISource,
  randomSessionSecret,
  startDevServer,
} from '../packages/server.js';
import { type CliOptions, parseCliOptions, usage } from './cli-options.js';

function sourceFrom(options: CliOptions): ChatSource {
  if (options.source === 'openai') {
    return createOpenAISource({
      model: options.model ?? '',
      baseURL: options.openaiBaseURL,
      apiKey: options.openaiApiKey,
      tokenLimitField: options.tokenLimitField,
    });
  }
  return createMockSource({
    seed: options.seed,
    tokensPerSecond: options.tokensPerSecond,
    sections: options.sections,
    parts: options.mockParts,
  });
}

function sessionSecretFrom(options: CliOptions): string | Buffer {
  if (options.sessionSecret !== undefined) return options.sessionSecret;
  process.stderr.write(
    'ai-stream-chat-server: warning: SESSION_SECRET is not set; using a random secret, so session tokens stop working when this process exits and are not valid on other servers\n',
  );
  return randomSessionSecret();
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(
      `ai-stream-chat-server: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`,
    );
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(usage);
    return;
  }
  if (options.demoControls && !['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
    process.stderr.write(
      `ai-stream-chat-server: warning: --demo-controls on ${options.host} lets anyone who reaches this port slow down and drop every connection\n`,
    );
  }
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    try {
      tls = { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) };
    } catch (error) {
      process.stderr.write(
        `ai-stream-chat-server: cannot read the TLS files: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(2);
    }
  }
  const logger = pino({ level: options.logLevel, base: { pid: process.pid } });
  const server = await startDevServer({
    tls,
    logger,
    port: options.port,
    host: options.host,
    heartbeatMs: options.heartbeatMs,
    followUp: options.followUp,
    source: sourceFrom(options),
    allowedOrigins: options.allowedOrigins,
    auth: options.requireSession
      ? { secret: sessionSecretFrom(options), ttlMs: options.sessionTtlMs }
      : undefined,
    demoControls: options.demoControls,
    redis:
      options.redisUrl || options.redisCluster
        ? {
            ...(options.redisCluster ? { cluster: options.redisCluster } : { url: options.redisUrl }),
            historyTtlMs: options.historyTtlMs,
            graceMs: options.redisGraceMs,
          }
        : undefined,
    maxConnections: options.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    trustProxy: options.trustProxy && { proxies: options.trustProxy, header: options.trustProxyHeader },
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    maxNewConversationsPerIp: options.maxNewConversationsPerIp,
    newConversationWindowMs: options.newConversationWindowMs,
    maxConversations: options.maxConversations,
    conversationTtlMs: options.conversationTtlMs,
    maxHistoryMessages: options.maxHistoryMessages,
    welcomeHistoryChars: options.welcomeHistoryChars,
    deltaWindowMs: options.deltaWindowMs,
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn({ event: 'exit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal, drainMs: options.drainMs }, 'shutting down');
    server.drain(options.drainMs).then(
      () => {
        logger.info({ event: 'exit', code: 0 }, 'stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ event: 'exit', code: 1, error: String(error) }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Tests and scripts read this line to find the port, then may signal at once: the
  // handlers above must already be installed, or SIGTERM would kill without draining.
  process.stdout.write(
    `ai-stream-chat dev server listening on ${server.url}/ (WebSocket ${server.url.replace(/^http/, 'ws')}${server.chat.path})\n`,
  );
  logger.info({ event: 'listening', url: server.url, path: server.chat.path }, 'listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`ai-stream-chat-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
