/**
 * The widget's protocol client (ChatSession) in Node: sends one question to
 * a WebSocket URL and waits until its answer has ended, lingering a moment
 * so a late duplicate would have time to show. Used by every fault test.
 */
import WebSocket from 'ws';
import type { AnswerParts } from '../../src/protocol/index.js';
import { ChatSession } from '../../src/widget/chat-session.js';
import type { ChatMessage } from '../../src/widget/chat-state.js';

export interface AskOptions {
  /** What the failure message names, e.g. the seed. */
  label: string;
  timeoutMs?: number;
  /** Records connection status changes as `status:detail`. */
  statuses?: string[];
  /**
   * Ask for the parts of answers (PROTOCOL.md section 16) and put here, by
   * answer id, the parts the widget's own state holds once the answer ended.
   */
  parts?: Map<string, AnswerParts>;
}

/** The session's messages once the first answer is done. */
export async function askOnce(url: string, question: string, options: AskOptions): Promise<ChatMessage[]> {
  let session: ChatSession | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const statuses = options.statuses ?? [];
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${options.label}: no complete answer in time; the client saw ${statuses.slice(-12).join(', ')}; ` +
                `its messages: ${describeMessages(session?.state.messages ?? [])}`,
            ),
          ),
        options.timeoutMs ?? 30_000,
      );
      const current: ChatSession = new ChatSession(
        undefined,
        {
          url: () => url,
          onStatus: (status, detail) => statuses.push(`${status}:${detail}`),
          onProtocolError: (message) => reject(new Error(`${options.label}: invalid frame: ${message}`)),
          onChange: () => {
            const answer = current.state.messages.find((m) => m.role === 'assistant');
            if (answer?.status !== 'done') return;
            clearTimeout(timer);
            setTimeout(resolve, 20);
          },
        },
        { backoff: { baseMs: 2, maxMs: 20 }, WebSocket, parts: options.parts !== undefined },
      );
      session = current;
      current.send(question);
      current.open();
    });
    const messages = session?.state.messages ?? [];
    for (const m of messages) {
      if (m.role === 'assistant' && m.id !== undefined) {
        const { reasoning, tools, sources } = m;
        options.parts?.set(m.id, { reasoning, tools, sources });
      }
    }
    return messages;
  } finally {
    session?.close();
  }
}

/** What a timed-out ask names: each message's role, status and length. */
function describeMessages(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role} ${m.status} ${m.text.length} chars`).join('; ') || 'none';
}
