/**
 * The widget's protocol client (ChatSession) in Node: sends one question to
 * a WebSocket URL and waits until its answer has ended, lingering a moment
 * so a late duplicate would have time to show. Used by every fault test.
 */
import WebSocket from 'ws';
import { type AnswerParts, applyParts, replaceParts } from '../../src/protocol/index.js';
import { ChatSession } from '../../src/widget/chat-session.js';
import type { ChatMessage } from '../../src/widget/chat-state.js';

export interface AskOptions {
  /** What the failure message names, e.g. the seed. */
  label: string;
  timeoutMs?: number;
  /** Records connection status changes as `status:detail`. */
  statuses?: string[];
  /**
   * Ask for the parts of answers (PROTOCOL.md section 16) and hold them here,
   * by answer id: each delta's and snapshot's parts are taken exactly when the
   * widget's own state takes the frame (the widget does not show parts yet,
   * so its state does not keep them).
   */
  parts?: Map<string, AnswerParts>;
}

/** The session's messages once the first answer is done. */
export async function askOnce(url: string, question: string, options: AskOptions): Promise<ChatMessage[]> {
  let session: ChatSession | undefined;
  const partsOf = (id: string): AnswerParts => {
    const held = options.parts?.get(id) ?? {};
    options.parts?.set(id, held);
    return held;
  };
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
          onWelcome: (welcome) => {
            for (const h of welcome.history) {
              if (h.role === 'assistant' && h.text !== undefined) replaceParts(partsOf(h.id), h);
            }
          },
          // Only a frame the state applied ('text'): a duplicate or a frame after a gap is not.
          onFrame: (frame, change) => {
            if (change.kind !== 'text') return;
            if (frame.type === 'delta') applyParts(partsOf(frame.messageId), frame);
            else if (frame.type === 'snapshot') replaceParts(partsOf(frame.messageId), frame);
          },
        },
        { backoff: { baseMs: 2, maxMs: 20 }, WebSocket, parts: options.parts !== undefined },
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
