#!/usr/bin/env node
import { parseCliOptions, usage } from './cli-options.js';
import { startDevServer } from './dev-server.js';
import { randomSessionSecret } from './session-token.js';
import { createMockSource } from './sources/mock.js';
import { createOpenAISource } from './sources/openai.js';
import type { TokenSource } from './sources/types.js';

function sourceFrom(options: ReturnType<typeof parseCliOptions>): TokenSource {
  if (options.source === 'openai') {
    return createOpenAISource({
      model: options.model ?? '',
      baseURL: options.openaiBaseURL,
      apiKey: options.openaiApiKey,
    });
  }
  return createMockSource({
    seed: options.seed,
    tokensPerSecond: options.tokensPerSecond,
    sections: options.sections,
  });
}

function sessionSecretFrom(options: ReturnType<typeof parseCliOptions>): string | Buffer {
  if (options.sessionSecret !== undefined) return options.sessionSecret;
  process.stderr.write(
    'ai-stream-chat-server: warning: SESSION_SECRET is not set; using a random secret, so session tokens stop working when this process exits and are not valid on other servers\n',
  );
  return randomSessionSecret();
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseCliOptions>;
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
  const server = await startDevServer({
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
    redis: options.redisUrl && { url: options.redisUrl, historyTtlMs: options.historyTtlMs },
  });
  // Tests and scripts read this line to find the port.
  process.stdout.write(
    `ai-stream-chat dev server listening on ${server.url}/ (WebSocket ${server.url.replace(/^http/, 'ws')}${server.chat.path})\n`,
  );
  const shutdown = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`ai-stream-chat-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
