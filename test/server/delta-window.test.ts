/**
 * The delta window (PROTOCOL.md section 3: `seq` counts deltas, not tokens):
 * text that follows a delta closely joins the next one; the first text, and
 * text after a pause longer than the window, go out at once. Time is the
 * test's: node:test's mock timers and a clock moved with them.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { DeltaWindow } from '../../src/server/conversation/delta-window.js';

function windowOf(ms: number) {
  let clock = 1000;
  const sent: string[] = [];
  mock.timers.enable({ apis: ['setTimeout'] });
  const deltas = new DeltaWindow(
    ms,
    (text) => sent.push(text),
    () => clock,
  );
  const advance = (by: number): void => {
    clock += by;
    mock.timers.tick(by);
  };
  return { deltas, sent, advance };
}

describe('DeltaWindow', () => {
  it('sends the first text at once and joins what follows within the window into the next delta', () => {
    const { deltas, sent, advance } = windowOf(40);
    try {
      deltas.push('a');
      assert.deepEqual(sent, ['a'], 'the first token is not held');
      advance(10);
      deltas.push('b');
      advance(10);
      deltas.push('c');
      assert.deepEqual(sent, ['a'], 'tokens right after a delta wait for the window');
      advance(20);
      assert.deepEqual(sent, ['a', 'bc'], 'one delta at the end of the window');
      advance(100);
      deltas.push('d');
      assert.deepEqual(sent, ['a', 'bc', 'd'], 'after a pause longer than the window, at once');
    } finally {
      mock.timers.reset();
    }
  });

  it('flush sends what waits at once (before done, or a cut), and nothing when nothing waits', () => {
    const { deltas, sent, advance } = windowOf(40);
    try {
      deltas.push('a');
      deltas.push('b');
      deltas.flush();
      assert.deepEqual(sent, ['a', 'b']);
      deltas.flush();
      advance(100);
      assert.deepEqual(sent, ['a', 'b'], 'the timer of the flushed text is gone');
    } finally {
      mock.timers.reset();
    }
  });

  it('a window of 0 sends every token as its own delta; empty text is no delta', () => {
    const { deltas, sent } = windowOf(0);
    try {
      for (const token of ['a', '', 'b', 'c']) deltas.push(token);
      assert.deepEqual(sent, ['a', 'b', 'c']);
    } finally {
      mock.timers.reset();
    }
  });
});
