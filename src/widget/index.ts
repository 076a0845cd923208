/**
 * Entry point of the widget bundle: registers `<ai-stream-chat>` once, so
 * loading the script twice (two CMS blocks, say) is harmless. Runtimes
 * without a DOM (server rendering) get src/packages/widget-without-dom.ts instead,
 * through the package's export conditions.
 */
import { AiStreamChat } from './ai-stream-chat.js';

export type { FeedbackValue, FinishReason, MessageParams, Usage } from '../protocol/index.js';
export type { ChatMode, ChatPersist, ChatTheme } from './ai-stream-chat.js';
export { AiStreamChat, defaultSocketUrl } from './ai-stream-chat.js';
export type { ChatMessage, MessageStatus } from './chat-state.js';
export type { ConnectionStatus } from './controllers/connection-controller.js';
// Exporting from events.ts and framework-types.ts also puts their global
// augmentations (event maps, JSX, Vue) into the package's index.d.ts.
export type {
  AiStreamChatEventMap,
  AnswerDoneDetail,
  AnswerStartDetail,
  ChatErrorDetail,
  ConnectionChangeDetail,
  FeedbackDetail,
  MessageSentDetail,
  ShownConnectionStatus,
} from './events.js';
export type {
  AiStreamChatProperties,
  AiStreamChatReactEvents,
  AiStreamChatVueEvents,
} from './framework-types.js';
export type { ChatStrings } from './strings.js';

export const TAG_NAME = 'ai-stream-chat';

if (!customElements.get(TAG_NAME)) {
  customElements.define(TAG_NAME, AiStreamChat);
}
