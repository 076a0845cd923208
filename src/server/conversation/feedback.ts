/**
 * A reader's verdict on an answer as the server hands it to a site owner
 * (`createChatServer({ onFeedback })`): which answer, the verdict, and the
 * texts, so a log of bad answers can be read on its own.
 */
import type { FeedbackValue, FinishReason } from '../../protocol/index.js';
import type { MessageRecord } from './message-frames.js';

export interface ChatFeedback {
  conversationId: string;
  /** The answer's id. */
  messageId: string;
  /** `up` or `down`; `null` when the reader took the verdict back. */
  value: FeedbackValue | null;
  /** The answer's text (markdown), as the reader saw it. */
  answer: string;
  /** How the answer ended. */
  finishReason: FinishReason;
  /** The question it answers, while the server still holds it. */
  question?: string;
}

/** The hook's argument for a verdict recorded on `answer`. */
export function chatFeedback(
  conversationId: string,
  value: FeedbackValue | null,
  answer: MessageRecord,
  question: MessageRecord | undefined,
): ChatFeedback {
  return {
    conversationId,
    messageId: answer.id,
    value,
    answer: answer.text,
    finishReason: answer.finishReason ?? 'stop',
    ...(question ? { question: question.text } : {}),
  };
}
