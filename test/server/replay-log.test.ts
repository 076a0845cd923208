/**
 * The replay log (PROTOCOL.md section 5): what a resuming client is sent is
 * exactly the deltas it missed, or nothing (then it gets a snapshot), never
 * a wrong piece of text. Text-only deltas are kept as positions in the
 * answer's text, so these tests hold the log to the bodies it was given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { growText } from '../../src/server/conversation/answer-text.js';
import type { MessageParts } from '../../src/server/conversation/message-parts.js';
import { applyDelta, bodySize, type DeltaBody } from '../../src/server/conversation/message-parts.js';
import { ReplayLog } from '../../src/server/conversation/replay-log.js';

type Answer = { text: string; seq: number } & MessageParts;

const bodies: DeltaBody[] = [
  { text: '', reasoning: 'Thinking ' },
  { text: '', reasoning: 'it over. ' },
  { text: '', tool: { id: 't1', name: 'search', label: 'Searching', status: 'running' } },
  { text: 'The ' },
  { text: 'answer 🙂 ' },
  { text: '', source: { n: 1, title: 'A page', url: 'https://example.com/' } },
  { text: 'is [1]' },
  { text: '.' },
];

/** Takes `take` into `answer` and `log`, each applied, then logged. */
function appendAll(answer: Answer, log: ReplayLog, take: readonly DeltaBody[]): void {
  for (const body of take) {
    answer.seq++;
    applyDelta(answer, body);
    log.append(answer.seq, body);
  }
}

const expected = (from: number, to: number) =>
  bodies.slice(from, to).map((body, i) => ({ seq: from + i + 1, body }));

// Every case twice: an answer's text joined as strings, and growing as bytes while it streams (answer-text.ts).
for (const grow of [false, true]) {
  /** An answer that takes `bodies` as a store does: each applied, then logged. */
  function stream(maxChars: number, take: readonly DeltaBody[] = bodies): { answer: Answer; log: ReplayLog } {
    const answer: Answer = { text: '', seq: 0 };
    if (grow) growText(answer);
    const log = new ReplayLog(maxChars, answer);
    appendAll(answer, log, take);
    return { answer, log };
  }

  describe(`replay log, the answer's text ${grow ? 'growing as bytes' : 'joined as strings'}`, () => {
    it('gives back exactly the deltas after any seq, text and parts alike', () => {
      const { answer, log } = stream(10_000);
      for (let lastSeq = 0; lastSeq <= answer.seq; lastSeq++) {
        assert.deepEqual(log.after(lastSeq, answer.seq), expected(lastSeq, answer.seq), `after ${lastSeq}`);
      }
      assert.deepEqual(log.after(2, 5), expected(2, 5));
    });

    it('keeps at most its budget: a resume from before the oldest kept delta gets nothing (a snapshot)', () => {
      // Seqs 5 to 8 ('answer 🙂 ', the source's JSON, 'is [1]', '.') hold 70 characters: older ones are dropped.
      const { answer, log } = stream(72);
      assert.equal(log.after(0, answer.seq), undefined);
      assert.equal(log.covers(3), false);
      assert.equal(log.after(3, answer.seq), undefined);
      assert.deepEqual(log.after(4, answer.seq), expected(4, answer.seq));
      assert.deepEqual(log.after(6, answer.seq), expected(6, answer.seq));
    });

    it('joins older deltas read back from a store in front of those it recorded', () => {
      // A node that followed the answer from seq 6 on, then a resume needing seqs 4 and 5 (text) from the store.
      const { answer } = stream(10_000, bodies.slice(0, 5));
      const log = new ReplayLog(10_000, answer, answer.seq + 1);
      appendAll(answer, log, bodies.slice(5));
      assert.equal(log.after(3, answer.seq), undefined);
      log.prepend(expected(3, 5));
      assert.deepEqual(log.after(3, answer.seq), expected(3, answer.seq));
      assert.deepEqual(log.after(4, answer.seq), expected(4, answer.seq));
    });

    it('replays nothing once the answer text was replaced otherwise (a store copy): a snapshot, never a wrong piece', () => {
      const { answer, log } = stream(10_000);
      answer.text = `Another text of another length. ${answer.text}`;
      assert.equal(log.after(3, answer.seq), undefined);
    });

    it('is cleared for good: later resumes get snapshots', () => {
      const { answer, log } = stream(10_000);
      log.clear();
      assert.equal(log.after(3, answer.seq), undefined);
      assert.deepEqual(log.after(answer.seq, answer.seq), []);
    });

    it('stays exact over thousands of deltas while the oldest are dropped, with parts and texts too long for a slot', () => {
      const many: DeltaBody[] = [];
      for (let i = 0; i < 5_000; i++) {
        if (i % 97 === 0) many.push({ text: '', reasoning: `step ${i} ` });
        else if (i === 2_500) many.push({ text: 'x'.repeat(70_000) });
        else many.push({ text: `t${i} ` });
      }
      const budget = 90_000;
      const { answer, log } = stream(budget, many);
      const kept = (from: number) => many.slice(from).map((body, i) => ({ seq: from + i + 1, body }));
      // The newest deltas that fit the budget, the 70,000-character one (seq 2,501) among them.
      let first = many.length;
      for (let size = 0; size + bodySize(many[first - 1] as DeltaBody) <= budget; first--) {
        size += bodySize(many[first - 1] as DeltaBody);
      }
      // Seqs first + 1 and on are kept.
      assert.ok(first > 1 && first < 2_500);
      assert.equal(log.covers(first - 1), false);
      assert.equal(log.after(first - 1, answer.seq), undefined);
      for (const lastSeq of [first, 2_500, 2_501, 2_502, 3_000, 4_999]) {
        assert.deepEqual(log.after(lastSeq, answer.seq), kept(lastSeq), `after ${lastSeq}`);
      }
      assert.deepEqual(log.after(4_000, 4_100), kept(4_000).slice(0, 100));
    });

    it('joins many older deltas in front of a log that holds only the newest', () => {
      const many: DeltaBody[] = Array.from({ length: 300 }, (_, i) =>
        i % 50 === 0
          ? { text: '', tool: { id: `t${i}`, name: 'search', label: 'Searching', status: 'done' } }
          : { text: `w${i} ` },
      );
      const { answer } = stream(1_000_000, many.slice(0, 290));
      const log = new ReplayLog(1_000_000, answer, answer.seq + 1);
      appendAll(answer, log, many.slice(290));
      const older = many.slice(0, 290).map((body, i) => ({ seq: i + 1, body }));
      log.prepend(older.slice(200));
      log.prepend(older.slice(0, 200));
      const all = many.map((body, i) => ({ seq: i + 1, body }));
      assert.deepEqual(log.after(0, answer.seq), all);
      assert.deepEqual(log.after(149, answer.seq), all.slice(149));
    });
  });
}
