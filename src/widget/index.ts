/**
 * Entry point of the widget bundle: registers `<ai-stream-chat>` once, so
 * loading the script twice (two CMS blocks, say) is harmless.
 */
import { AiStreamChat } from './ai-stream-chat.js';

export { AiStreamChat, defaultSocketUrl } from './ai-stream-chat.js';
export type { ChatMessage, MessageStatus } from './chat-state.js';
export type { ConnectionStatus } from './controllers/connection-controller.js';

export const TAG_NAME = 'ai-stream-chat';

if (!customElements.get(TAG_NAME)) {
  customElements.define(TAG_NAME, AiStreamChat);
}
