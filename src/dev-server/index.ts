/**
 * The server's public API, `import … from 'ai-stream-chat/server'`. The CLI
 * (cli.ts) is built from these exports only.
 */

export { CloseCode, ErrorCode, PROTOCOL_VERSION } from '../protocol/index.js';
export {
  type ChatLogger,
  type ChatServer,
  type ChatServerAuthOptions,
  type ChatServerOptions,
  createChatServer,
} from './chat-server.js';
export type { FollowUpPolicy } from './conversation.js';
export { type DevServer, type DevServerOptions, startDevServer } from './dev-server.js';
export type { ChatMetrics } from './metrics.js';
export type { BackpressureOptions } from './outbound.js';
export type { ParamsPolicy } from './params-policy.js';
export type { ServerLimitOptions } from './server-limits.js';
export { randomSessionSecret, type SessionClaims } from './session-token.js';
export { createMockSource, type MockSourceOptions } from './sources/mock.js';
export { createOpenAISource, type OpenAISourceOptions, UpstreamError } from './sources/openai.js';
export type { GenerateRequest, GenerateResult, SourceMessage, TokenSource } from './sources/types.js';
