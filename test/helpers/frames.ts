/**
 * Reading a client's recorded frames as the protocol says a client applies
 * them (PROTOCOL.md section 6).
 */
import assert from 'node:assert/strict';
import type { ServerFrame } from '../../src/protocol/index.js';

export type Welcome = Extract<ServerFrame, { type: 'welcome' }>;

export interface AppliedAnswer {
  /** The answer's text once every frame is applied. */
  text: string;
  /** The seq it was applied up to. */
  seq: number;
  /** The seq of every delta of the answer, in the order they came, applied or not. */
  deltaSeqs: number[];
  /** How many snapshots were applied. */
  snapshots: number;
}

/**
 * Answer `messageId` as a client applies its frames: from `held` (what the
 * client held before these frames), or from a welcome's history entry when
 * that carries the text; then each delta whose range (`fromSeq`..`seq`)
 * starts right after the held seq, and each snapshot not behind it. A delta
 * starting later is a gap and fails the assertion. A delta at or below the
 * held seq is a duplicate, which a client ignores; with `strict`, a
 * duplicate, or a snapshot behind, fails too: the server must not repeat
 * itself.
 */
export function answerText(
  frames: readonly ServerFrame[],
  messageId: string,
  {
    held = { text: '', seq: 0 },
    strict = false,
  }: { held?: { text: string; seq: number }; strict?: boolean } = {},
): AppliedAnswer {
  let { text, seq } = held;
  const deltaSeqs: number[] = [];
  let snapshots = 0;
  for (const f of frames) {
    if (f.type === 'welcome') {
      const entry = f.history.find((m) => m.id === messageId);
      if (entry?.text !== undefined) {
        text = entry.text;
        seq = entry.seq ?? 0;
      }
    } else if (f.type === 'delta' && f.messageId === messageId) {
      deltaSeqs.push(f.seq);
      const from = f.fromSeq ?? f.seq;
      if (f.seq <= seq && !strict) continue;
      assert.equal(from, seq + 1, `${messageId}: deltas arrive gapless and in order (${from} after ${seq})`);
      text += f.text;
      seq = f.seq;
    } else if (f.type === 'snapshot' && f.messageId === messageId) {
      if (f.seq < seq) {
        assert.ok(!strict, `${messageId}: a snapshot at ${f.seq} is behind ${seq}`);
        continue;
      }
      text = f.text;
      seq = f.seq;
      snapshots++;
    }
  }
  return { text, seq, deltaSeqs, snapshots };
}
