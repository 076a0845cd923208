/**
 * The widget's protocol client (ChatSession) in Node: sends one question to
 * a WebSocket URL and waits until its answer has ended, lingering a moment
 * so a late duplicate would have time to show. Used by every fault test.
 */
import WebSocket from 'ws';
import { ChatSession } from '../../src/widget/chat-session.js';
import type { ChatMessage } from '../../src/widget/chat-state.js';

export interface AskOptions {
  /** What the failure message names, e.g. the seed. */
  label: string;
  timeoutMs?: number;
  /** Records connection status changes as `status:detail`. */
  statuses?: string[];
  /** Ask for the parts of answers (PROTOCOL.md section 16): reasoning, tool steps, sources. */
  parts?: boolean;
}

/** The session's messages once the first answer is done. */
export async function askOnce(url: string, question: string, options: AskOptions): Promise<ChatMessage[]> {
  let session: ChatSession | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.label}: no complete answer in time`)),
        options.timeoutMs ?? 30_000,
      );
      const current: ChatSession = new ChatSession(
        undefined,
        {
          url: () => url,
          onStatus: (status, detail) => options.statuses?.push(`${status}:${detail}`),
          onProtocolError: (message) => reject(new Error(`${options.label}: invalid frame: ${message}`)),
          onChange: () => {
            const answer = current.state.messages.find((m) => m.role === 'assistant');
            if (answer?.status !== 'done') return;
            clearTimeout(timer);
            setTimeout(resolve, 20);
          },
        },
        { backoff: { baseMs: 2, maxMs: 20 }, WebSocket, parts: options.parts === true },
      );
      session = current;
      current.send(question);
      current.open();
    });
    return session?.state.messages ?? [];
  } finally {
    session?.close();
  }
}
