/**
 * An innocent client next to an attack: it asks one question and records when
 * each delta arrives, so a test can check that its answer came whole and that
 * the attack did not stall it (the gaps between its tokens).
 */
import assert from 'node:assert/strict';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { answerText } from './frames.js';

export interface BystanderAnswer {
  text: string;
  /** Milliseconds between consecutive deltas (and from `start` to the first). */
  gaps: number[];
}

/** The q-quantile (0..1) of `values`; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Sends `text` on a welcomed peer and resolves with the whole answer and its token gaps. */
export async function askAndTime(client: Peer, text: string, timeoutMs = 60_000): Promise<BystanderAnswer> {
  const arrivals: number[] = [];
  const onMessage = (): void => {
    arrivals.push(performance.now());
  };
  const from = client.frames.length;
  client.socket.on('message', onMessage);
  try {
    client.send({ type: 'send', clientMsgId: `bystander-${text}`, text });
    const done = await client.waitFor(isType('done'), { from, timeoutMs });
    assert.equal(done.finishReason, 'stop', 'the bystander answer ends normally');
    const frames = client.frames.slice(from);
    const answer = answerText(frames, done.messageId, { strict: true });
    assert.equal(answer.seq, done.seq);
    const times = frames.flatMap((frame, i) =>
      (frame.type === 'start' || frame.type === 'delta') && frame.messageId === done.messageId
        ? [arrivals[i] as number]
        : [],
    );
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    return { text: answer.text, gaps };
  } finally {
    client.socket.off('message', onMessage);
  }
}
