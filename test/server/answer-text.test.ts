/**
 * An answer's text while it streams (answer-text.ts): kept as bytes, it must
 * read back as exactly the string the deltas join to, whatever characters they
 * carry and however they are cut, through a store's replacement, a copy of
 * the message, and its settling into a plain string.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendText, growText, settleText, textLength } from '../../src/server/conversation/answer-text.js';

/** Appends each piece, checking text and length against the joined string after every one. */
function appendChecked(m: { text: string }, pieces: readonly string[], start = ''): string {
  let joined = start;
  for (const piece of pieces) {
    appendText(m, piece);
    joined += piece;
    assert.equal(textLength(m), joined.length);
    assert.equal(m.text, joined);
  }
  return joined;
}

describe("an answer's growing text", () => {
  it('reads back exactly: Latin-1, then wider characters, surrogate pairs cut between deltas, past many blocks', () => {
    const m = { text: '' };
    growText(m);
    const pieces: string[] = [];
    for (let i = 0; i < 400; i++) pieces.push(`token ${i} café `);
    // The first unit over Latin-1 lands in the middle of a delta, after narrow units of the same delta.
    pieces.push('naïve → 漢字 ');
    // An emoji's two halves in two deltas (a raw source can cut there; the text must stay exact anyway).
    pieces.push('\ud83d', '\ude42 ', 'x'.repeat(40_000), 'ü'.repeat(3), '日本語'.repeat(20_000));
    const joined = appendChecked(m, pieces);
    assert.ok(joined.length > 100_000);
    assert.equal(m.text.codePointAt(joined.indexOf('\ud83d')), 0x1f642);
  });

  it('starts from the text the message had, and starts again from a text set whole (a store copy)', () => {
    const m = { text: 'Before. ' };
    growText(m);
    appendChecked(m, ['one ', 'two '], 'Before. ');
    m.text = 'Replaced — whole. ';
    assert.equal(m.text, 'Replaced — whole. ');
    appendChecked(m, ['three ', 'four'], 'Replaced — whole. ');
  });

  it('is a plain string in copies, JSON and after settling; a copy never shares the bytes', () => {
    const m = { id: 'm_1', text: '' };
    growText(m);
    appendChecked(m, ['Hello ', 'world']);
    assert.equal(JSON.stringify(m), '{"id":"m_1","text":"Hello world"}');
    const copy = { ...m };
    assert.equal(Object.getOwnPropertyDescriptor(copy, 'text')?.value, 'Hello world');
    appendText(copy, ' (copy)');
    appendText(m, '!');
    assert.equal(copy.text, 'Hello world (copy)');
    assert.equal(m.text, 'Hello world!');
    settleText(m);
    assert.equal(Object.getOwnPropertyDescriptor(m, 'text')?.value, 'Hello world!');
    appendText(m, ' More.');
    assert.equal(m.text, 'Hello world! More.');
  });
});
