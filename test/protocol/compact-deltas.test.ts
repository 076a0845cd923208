/**
 * PROTOCOL.md section 14: compact deltas read back into exactly the frames
 * that were written, whatever the order of messages, merges and snapshots;
 * only a continuing delta is compact, and only for a client that asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactDeltaReader, CompactDeltaWriter, type ServerFrame } from '../../src/protocol/index.js';

const frames: ServerFrame[] = [
  { type: 'start', messageId: 'm_2', replyTo: 'm_1' },
  { type: 'delta', messageId: 'm_2', seq: 1, text: 'Hel' },
  { type: 'delta', messageId: 'm_2', seq: 2, text: 'lo "quoted"\n' },
  { type: 'user', messageId: 'm_3', clientMsgId: 'c', text: 'next', queuePosition: 1 },
  { type: 'delta', messageId: 'm_2', fromSeq: 3, seq: 5, text: ' merged 😀' },
  { type: 'snapshot', messageId: 'm_9', seq: 4, text: 'other' },
  { type: 'delta', messageId: 'm_9', seq: 5, text: ' after a snapshot' },
  { type: 'delta', messageId: 'm_2', seq: 6, text: ' back: full again' },
  { type: 'delta', messageId: 'm_2', seq: 7, text: '' },
  { type: 'done', messageId: 'm_2', seq: 7, finishReason: 'stop', usage: null },
];

describe('compact deltas (PROTOCOL.md section 14)', () => {
  it('read back into the frames that were written', () => {
    const writer = new CompactDeltaWriter(true);
    const reader = new CompactDeltaReader();
    const wire = frames.map((f) => writer.encode(f));
    assert.deepEqual(
      wire.map((raw) => (raw.startsWith('"') || raw.startsWith('{"d":') ? 'compact' : 'full')),
      ['full', 'full', 'compact', 'full', 'compact', 'full', 'compact', 'full', 'compact', 'full'],
    );
    assert.equal(wire[2], JSON.stringify('lo "quoted"\n'), 'a single delta is its text as a JSON string');
    assert.equal(wire[4], '{"d":" merged 😀","n":3}');
    const read = wire.map((raw) => {
      const parsed = reader.read(raw);
      assert.ok(parsed.ok, raw);
      return parsed.frame;
    });
    assert.deepEqual(read, frames);
  });

  it('a client that did not ask gets full frames only', () => {
    const writer = new CompactDeltaWriter(false);
    assert.deepEqual(
      frames.map((f) => writer.encode(f)),
      frames.map((f) => JSON.stringify(f)),
    );
  });

  it('PROTOCOL.md section 16: a delta of reasoning alone is {"r":…}; a tool step, a source, or text with reasoning go full', () => {
    const parts: ServerFrame[] = [
      { type: 'delta', messageId: 'm_4', seq: 1, text: '', reasoning: 'Let me' },
      { type: 'delta', messageId: 'm_4', seq: 2, text: '', reasoning: ' think "hard"' },
      { type: 'delta', messageId: 'm_4', fromSeq: 3, seq: 4, text: '', reasoning: ' twice' },
      {
        type: 'delta',
        messageId: 'm_4',
        seq: 5,
        text: '',
        tool: { id: 't', name: 'search', label: 'Searching', status: 'running' },
      },
      {
        type: 'delta',
        messageId: 'm_4',
        seq: 6,
        text: '',
        source: { n: 1, title: 'RFC', url: 'https://example.com' },
      },
      { type: 'delta', messageId: 'm_4', fromSeq: 7, seq: 8, text: 'Answer', reasoning: ' done' },
      { type: 'delta', messageId: 'm_4', seq: 9, text: ' [1].' },
    ];
    const writer = new CompactDeltaWriter(true);
    const reader = new CompactDeltaReader();
    const wire = parts.map((f) => writer.encode(f));
    assert.deepEqual(wire.slice(1, 3), ['{"r":" think \\"hard\\""}', '{"r":" twice","n":2}']);
    assert.deepEqual(
      wire.map((raw) => raw.startsWith('{"type"')),
      [true, false, false, true, true, true, false],
    );
    assert.deepEqual(
      wire.map((raw) => {
        const parsed = reader.read(raw);
        assert.ok(parsed.ok, raw);
        return parsed.frame;
      }),
      parts,
    );
  });

  it('a compact delta with no reference (a new connection) is refused, not guessed', () => {
    const reader = new CompactDeltaReader();
    reader.read(JSON.stringify({ type: 'delta', messageId: 'm_2', seq: 1, text: 'a' }));
    assert.ok(reader.read('"b"').ok);
    reader.reset();
    const orphan = reader.read('"c"');
    assert.equal(orphan.ok, false);
    assert.equal(reader.read('{"d":"x","n":0}').ok, false, 'n counts deltas: at least 1');
  });
});
