/**
 * The production server's API: the chat server to attach to your own HTTP
 * server (`createChatServer`), or on one of its own (`startServer`), the
 * OpenAI-compatible source, session secrets, and the option types. The
 * package exports it, with the development tools, as the `ai-stream-chat-server` package
 * (src/packages/server.ts).
 */

export { CloseCode, ErrorCode, PROTOCOL_VERSION } from '../protocol/index.js';
export { randomSessionSecret, type SessionClaims } from './auth/session-token.js';
export {
  type ChatLogger,
  type ChatServer,
  type ChatServerAuthOptions,
  type ChatServerOptions,
  createChatServer,
} from './chat-server.js';
export type { FollowUpPolicy } from './conversation/conversation.js';
export type { ChatFeedback } from './conversation/feedback.js';
export type { ParamsPolicy } from './conversation/params-policy.js';
export { SERVER_DEFAULTS } from './defaults.js';
export { type RunningServer, type ServerOptions, startServer } from './http/http-server.js';
export type { Mount, Mounts } from './http/static-files.js';
export type { ChatMetrics } from './ops/metrics.js';
export {
  createOpenAISource,
  type OpenAISourceOptions,
  type TokenLimitField,
  UpstreamError,
} from './sources/openai.js';
export type {
  ChatSource,
  GenerateRequest,
  GenerateResult,
  PushTokenSource,
  SourceChunk,
  SourceMessage,
  SourcePart,
  TokenSource,
} from './sources/types.js';
export type { ServerLimitOptions } from './transport/connection-limits.js';
export type { BackpressureOptions } from './transport/outbound.js';
export type { TrustProxyOptions } from './transport/trusted-proxy.js';
