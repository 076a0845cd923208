import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerFrame, WelcomeFrame } from '../../src/protocol/index.js';
import { ChatState } from '../../src/widget/chat-state.js';

function welcome(
  conversationId: string,
  history: WelcomeFrame['history'] = [],
  active: string[] = [],
): WelcomeFrame {
  return {
    type: 'welcome',
    v: 1,
    sessionId: 's_1',
    conversationId,
    heartbeatMs: 15000,
    limits: { maxTextLength: 8000, maxFrameBytes: 65536 },
    history,
    active,
  };
}

const delta = (seq: number, text: string): ServerFrame => ({ type: 'delta', messageId: 'm_a', seq, text });

function streaming(): ChatState {
  const state = new ChatState();
  state.applyWelcome(welcome('c_1'));
  state.addUserMessage('hi', 'u_1');
  state.apply({ type: 'ack', clientMsgId: 'u_1', messageId: 'm_u' });
  state.apply({ type: 'start', messageId: 'm_a', replyTo: 'm_u' });
  return state;
}

describe('ChatState: applying deltas', () => {
  it('applies only the next delta; duplicates are ignored', () => {
    const state = streaming();
    assert.equal(state.apply(delta(1, 'Hel')).kind, 'text');
    assert.equal(state.apply(delta(1, 'Hel')).kind, 'none');
    assert.equal(state.apply(delta(2, 'lo')).kind, 'text');
    assert.equal(state.apply(delta(1, 'Hel')).kind, 'none');
    assert.equal(state.apply(delta(2, 'lo')).kind, 'none');
    assert.equal(state.messages.at(-1)?.text, 'Hello');
  });

  it('reports a gap for an out-of-order delta and does not apply it', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    assert.equal(state.apply(delta(3, 'c')).kind, 'gap');
    assert.equal(state.messages.at(-1)?.text, 'a');
    assert.equal(state.apply(delta(2, 'b')).kind, 'text');
    assert.equal(state.apply(delta(3, 'c')).kind, 'text');
    assert.equal(state.messages.at(-1)?.text, 'abc');
  });

  it('applies a merged delta (fromSeq..seq) right after what it holds, then continues from its seq', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    const merged: ServerFrame = { type: 'delta', messageId: 'm_a', fromSeq: 2, seq: 4, text: 'bcd' };
    assert.equal(state.apply(merged).kind, 'text');
    assert.equal(state.messages.at(-1)?.seq, 4);
    assert.equal(state.apply(merged).kind, 'none', 'a repeated merged delta is a duplicate');
    assert.equal(state.apply(delta(3, 'c')).kind, 'none', 'so is a single delta it covered');
    assert.equal(state.apply(delta(5, 'e')).kind, 'text');
    assert.equal(state.messages.at(-1)?.text, 'abcde');
  });

  it('a merged delta that starts past or inside what it holds is a gap, and is not applied', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    const ahead: ServerFrame = { type: 'delta', messageId: 'm_a', fromSeq: 3, seq: 4, text: 'cd' };
    const overlapping: ServerFrame = { type: 'delta', messageId: 'm_a', fromSeq: 1, seq: 3, text: 'abc' };
    assert.equal(state.apply(ahead).kind, 'gap');
    assert.equal(state.apply(overlapping).kind, 'gap');
    assert.equal(state.messages.at(-1)?.text, 'a');
    assert.equal(state.messages.at(-1)?.seq, 1);
  });

  it('reports a gap when done claims more deltas than arrived', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    const done: ServerFrame = { type: 'done', messageId: 'm_a', seq: 2, finishReason: 'stop', usage: null };
    assert.equal(state.apply(done).kind, 'gap');
    assert.equal(state.messages.at(-1)?.status, 'streaming');
    state.apply(delta(2, 'b'));
    assert.equal(state.apply(done).kind, 'structure');
    assert.equal(state.apply(done).kind, 'none', 'a repeated done is harmless');
    assert.deepEqual(
      { text: state.messages.at(-1)?.text, status: state.messages.at(-1)?.status },
      { text: 'ab', status: 'done' },
    );
  });

  it('a snapshot replaces the text when it is newer, and is ignored when older', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    state.apply({ type: 'snapshot', messageId: 'm_a', seq: 4, text: 'abcd' });
    assert.equal(state.messages.at(-1)?.text, 'abcd');
    state.apply({ type: 'snapshot', messageId: 'm_a', seq: 2, text: 'ab' });
    assert.equal(state.messages.at(-1)?.text, 'abcd');
    state.apply(delta(5, 'e'));
    assert.equal(state.messages.at(-1)?.text, 'abcde');
  });

  it('a start seen twice (after a resume) does not add a second answer', () => {
    const state = streaming();
    state.apply({ type: 'start', messageId: 'm_a', replyTo: 'm_u' });
    assert.equal(state.messages.filter((m) => m.role === 'assistant').length, 1);
  });
});

describe('ChatState: welcome after a reconnect', () => {
  it('asks to resume every answer it holds, at its seq', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    state.apply(delta(2, 'b'));
    assert.deepEqual(state.resumePoints(), [{ messageId: 'm_a', lastSeq: 2 }]);
  });

  it('PROTOCOL.md 5: resumes the streaming answers first, then the newest ended ones, 32 in all', () => {
    const state = new ChatState();
    const history: WelcomeFrame['history'] = [];
    for (let i = 0; i < 40; i++) {
      history.push({ id: `u${i}`, role: 'user', text: 'q', clientMsgId: `c${i}` });
      history.push({
        id: `a${i}`,
        role: 'assistant',
        text: 'x',
        seq: 1,
        replyTo: `u${i}`,
        finishReason: 'stop',
      });
    }
    history.push({ id: 'u40', role: 'user', text: 'q', clientMsgId: 'c40' });
    history.push({ id: 'a40', role: 'assistant', text: 'xy', seq: 2, replyTo: 'u40' });
    state.applyWelcome(welcome('c_1', history, ['a40']));
    const points = state.resumePoints();
    assert.equal(points.length, 32);
    assert.deepEqual(points[0], { messageId: 'a40', lastSeq: 2 });
    assert.deepEqual(
      points.slice(1, 4).map((p) => p.messageId),
      ['a39', 'a38', 'a37'],
    );
  });

  it('PROTOCOL.md 5: a resumed answer the server holds less of is replaced by its snapshot', () => {
    const state = streaming();
    for (let seq = 1; seq <= 5; seq++) state.apply(delta(seq, `${seq}`));
    state.applyWelcome(
      welcome(
        'c_1',
        [
          { id: 'm_u', role: 'user', text: 'hi', clientMsgId: 'u_1' },
          { id: 'm_a', role: 'assistant', seq: 3, replyTo: 'm_u' },
        ],
        ['m_a'],
      ),
    );
    assert.equal(state.apply({ type: 'snapshot', messageId: 'm_a', seq: 3, text: '12X' }).kind, 'text');
    assert.equal(state.apply(delta(4, '4')).kind, 'text');
    const answer = state.messages.find((m) => m.id === 'm_a');
    assert.deepEqual([answer?.text, answer?.seq], ['12X4', 4]);
  });

  it('keeps its text for a resumed answer (the replay adds the rest)', () => {
    const state = streaming();
    state.apply(delta(1, 'a'));
    const outcome = state.applyWelcome(
      welcome(
        'c_1',
        [
          { id: 'm_u', role: 'user', text: 'hi', clientMsgId: 'u_1' },
          { id: 'm_a', role: 'assistant', seq: 5, replyTo: 'm_u' },
        ],
        ['m_a'],
      ),
    );
    assert.equal(outcome, 'resumed');
    assert.deepEqual(
      state.messages.map((m) => [m.role, m.text, m.status]),
      [
        ['user', 'hi', 'done'],
        ['assistant', 'a', 'streaming'],
      ],
    );
    assert.equal(state.apply(delta(2, 'b')).kind, 'text');
  });

  it('after a reload takes the history, including the live answer so far', () => {
    const state = new ChatState('c_1');
    state.applyWelcome(
      welcome(
        'c_1',
        [
          { id: 'm_u', role: 'user', text: 'hi', clientMsgId: 'u_1' },
          { id: 'm_a', role: 'assistant', text: 'abc', seq: 3, replyTo: 'm_u' },
        ],
        ['m_a'],
      ),
    );
    assert.equal(state.apply(delta(3, 'c')).kind, 'none');
    assert.equal(state.apply(delta(4, 'd')).kind, 'text');
    assert.equal(state.messages.at(-1)?.text, 'abcd');
  });

  it('an ended answer without a finish reason in the history is shown as interrupted', () => {
    const state = new ChatState('c_1');
    state.applyWelcome(welcome('c_1', [{ id: 'm_a', role: 'assistant', text: 'par', seq: 1 }]));
    assert.equal(state.messages[0]?.finishReason, 'interrupted');
  });

  it('a different conversation id means the server lost ours: streaming answers become interrupted', () => {
    const state = streaming();
    state.apply(delta(1, 'partial'));
    state.addUserMessage('unsent', 'u_2');
    assert.equal(state.applyWelcome(welcome('c_new')), 'lost');
    assert.equal(state.conversationId, 'c_new');
    assert.deepEqual(
      state.messages.map((m) => [m.text, m.status, m.finishReason]),
      [
        ['hi', 'done', undefined],
        ['partial', 'done', 'interrupted'],
        ['unsent', 'pending', undefined],
      ],
    );
  });

  it('the same id with a history missing confirmed messages also means lost', () => {
    const state = streaming();
    state.apply(delta(1, 'partial'));
    assert.equal(state.applyWelcome(welcome('c_1')), 'lost');
    assert.deepEqual(
      state.messages.map((m) => [m.text, m.finishReason]),
      [
        ['hi', undefined],
        ['partial', 'interrupted'],
      ],
    );
  });

  it('with older history omitted, the messages before the oldest listed one are kept, not lost', () => {
    const state = streaming();
    state.apply(delta(1, 'first answer'));
    state.apply({ type: 'done', messageId: 'm_a', seq: 1, finishReason: 'stop', usage: null });
    state.addUserMessage('two', 'u_2');
    state.apply({ type: 'ack', clientMsgId: 'u_2', messageId: 'm_u2' });
    state.apply({ type: 'start', messageId: 'm_b', replyTo: 'm_u2' });
    state.apply({ type: 'delta', messageId: 'm_b', seq: 1, text: 'second' });
    const frame = welcome(
      'c_1',
      [
        { id: 'm_u2', role: 'user', text: 'two', clientMsgId: 'u_2' },
        { id: 'm_b', role: 'assistant', text: 'second answer', seq: 2 },
      ],
      ['m_b'],
    );
    assert.equal(state.applyWelcome({ ...frame, omitted: 2 }), 'resumed');
    assert.deepEqual(
      state.messages.map((m) => [m.id, m.text, m.status]),
      [
        ['m_u', 'hi', 'done'],
        ['m_a', 'first answer', 'done'],
        ['m_u2', 'two', 'done'],
        ['m_b', 'second answer', 'streaming'],
      ],
    );
    // The same welcome without `omitted` says the server lost them.
    const again = streaming();
    assert.equal(again.applyWelcome(frame), 'lost');
  });

  it('unacknowledged sends go back to the outbox; acknowledged ones are matched by client id', () => {
    const state = new ChatState('c_1');
    state.applyWelcome(welcome('c_1'));
    const a = state.addUserMessage('one', 'u_a');
    const b = state.addUserMessage('two', 'u_b');
    a.status = 'sent';
    b.status = 'sent';
    state.applyWelcome(welcome('c_1', [{ id: 'm_1', role: 'user', text: 'one', clientMsgId: 'u_a' }]));
    assert.deepEqual(
      state.messages.map((m) => [m.text, m.status, m.id]),
      [
        ['one', 'done', 'm_1'],
        ['two', 'pending', undefined],
      ],
    );
  });

  it('a refused send is marked failed and can be retried once', () => {
    const state = new ChatState();
    state.addUserMessage('x', 'u_x').status = 'sent';
    state.apply({
      type: 'error',
      code: 'text_too_long',
      message: 'too long',
      retryable: false,
      clientMsgId: 'u_x',
    });
    assert.equal(state.messages[0]?.status, 'failed');
    assert.equal(state.retry('u_x'), true);
    assert.equal(state.retry('u_x'), false);
    assert.equal(state.messages[0]?.status, 'pending');
  });
});

describe('ChatState: user frames (PROTOCOL.md 12, several tabs)', () => {
  it("a user frame for one of our messages acknowledges it; another tab's message is shown before its answer", () => {
    const state = new ChatState();
    state.applyWelcome(welcome('c_1'));
    const mine = state.addUserMessage('mine', 'u_1');
    assert.equal(
      state.apply({ type: 'user', messageId: 'm_1', clientMsgId: 'u_1', text: 'mine', queuePosition: 0 })
        .kind,
      'structure',
    );
    assert.deepEqual([mine.id, mine.status], ['m_1', 'done']);
    assert.equal(state.apply({ type: 'ack', clientMsgId: 'u_1', messageId: 'm_1' }).kind, 'structure');
    assert.equal(state.messages.length, 1);

    state.apply({ type: 'start', messageId: 'm_3', replyTo: 'm_2' });
    const pending = state.addUserMessage('not sent yet', 'u_9');
    state.apply({ type: 'user', messageId: 'm_2', clientMsgId: 'other_1', text: 'from the other tab' });
    assert.deepEqual(
      state.messages.map((m) => m.text || m.id),
      ['mine', 'from the other tab', 'm_3', 'not sent yet'],
    );
    assert.equal(pending.status, 'pending');
    assert.equal(
      state.apply({ type: 'user', messageId: 'm_2', clientMsgId: 'other_1', text: 'from the other tab' })
        .kind,
      'none',
      'a repeated one is ignored',
    );
  });

  it("another tab's queued message shows as queued until its answer starts", () => {
    const state = new ChatState();
    state.applyWelcome(welcome('c_1'));
    state.apply({ type: 'user', messageId: 'm_5', clientMsgId: 'x', text: 'later', queuePosition: 1 });
    assert.equal(state.messages[0]?.queued, true);
    state.apply({ type: 'start', messageId: 'm_6', replyTo: 'm_5' });
    assert.equal(state.messages[0]?.queued, false);
  });
});

describe('ChatState: answer feedback (PROTOCOL.md section 15)', () => {
  const ended = (feedback?: 'up' | 'down'): WelcomeFrame['history'] => [
    { id: 'm_u', role: 'user', text: 'hi', clientMsgId: 'u_1' },
    {
      id: 'm_a',
      role: 'assistant',
      text: 'Hello',
      seq: 1,
      finishReason: 'stop',
      replyTo: 'm_u',
      ...(feedback ? { feedback } : {}),
    },
  ];

  it('takes the verdict from the history, and the history of a later welcome replaces it', () => {
    const state = new ChatState();
    state.applyWelcome(welcome('c_1', ended('down')));
    assert.equal(state.messages.at(-1)?.feedback, 'down');
    state.applyWelcome(welcome('c_1', ended()));
    assert.equal(state.messages.at(-1)?.feedback, undefined);
    state.applyWelcome(welcome('c_1', ended('up')));
    assert.equal(state.messages.at(-1)?.feedback, 'up');
  });

  it('a feedback frame sets or clears an answer’s verdict, once; one for a question or an unknown id changes nothing', () => {
    const state = new ChatState();
    state.applyWelcome(welcome('c_1', ended()));
    assert.equal(state.apply({ type: 'feedback', messageId: 'm_a', value: 'up' }).kind, 'structure');
    assert.equal(state.apply({ type: 'feedback', messageId: 'm_a', value: 'up' }).kind, 'none');
    assert.equal(state.messages.at(-1)?.feedback, 'up');
    assert.equal(state.apply({ type: 'feedback', messageId: 'm_u', value: 'down' }).kind, 'none');
    assert.equal(state.apply({ type: 'feedback', messageId: 'm_x', value: 'down' }).kind, 'none');
    assert.equal(state.messages[0]?.feedback, undefined);
    assert.equal(state.apply({ type: 'feedback', messageId: 'm_a', value: null }).kind, 'structure');
    assert.equal(state.messages.at(-1)?.feedback, undefined);
  });
});

describe('ChatState: the parts of an answer (PROTOCOL.md section 16)', () => {
  const tool = { id: 't1', name: 'search', label: 'Searching', status: 'running' as const };
  const source = { n: 1, title: 'RFC 6455', url: 'https://www.rfc-editor.org/rfc/rfc6455' };

  it('each delta adds its part once: reasoning appended, a step replaced by id, sources in order', () => {
    const state = streaming();
    const frames: ServerFrame[] = [
      { type: 'delta', messageId: 'm_a', seq: 1, text: '', reasoning: 'Let me ' },
      { type: 'delta', messageId: 'm_a', seq: 2, text: '', tool },
      {
        type: 'delta',
        messageId: 'm_a',
        seq: 3,
        text: '',
        tool: { ...tool, status: 'done', summary: '1 page' },
      },
      { type: 'delta', messageId: 'm_a', fromSeq: 4, seq: 5, text: 'Resume', reasoning: 'think.' },
      { type: 'delta', messageId: 'm_a', seq: 6, text: ' [1].', source },
    ];
    for (const f of frames) {
      state.apply(f);
      state.apply(f); // a replayed duplicate changes nothing
    }
    const answer = state.messages.find((m) => m.id === 'm_a');
    assert.equal(answer?.text, 'Resume [1].');
    assert.equal(answer?.reasoning, 'Let me think.');
    assert.deepEqual(answer?.tools, [{ ...tool, status: 'done', summary: '1 page' }]);
    assert.deepEqual(answer?.sources, [source]);
  });

  it('a snapshot and a history entry replace every part', () => {
    const state = streaming();
    state.apply({ type: 'delta', messageId: 'm_a', seq: 1, text: '', reasoning: 'Old' });
    state.apply({
      type: 'snapshot',
      messageId: 'm_a',
      seq: 4,
      text: 'A',
      reasoning: 'New',
      sources: [source],
    });
    let answer = state.messages.find((m) => m.id === 'm_a');
    assert.deepEqual([answer?.reasoning, answer?.tools, answer?.sources], ['New', undefined, [source]]);
    const fresh = new ChatState();
    fresh.applyWelcome(
      welcome('c_1', [
        {
          id: 'm_a',
          role: 'assistant',
          text: 'A',
          seq: 4,
          finishReason: 'stop',
          reasoning: 'R',
          tools: [tool],
        },
      ]),
    );
    answer = fresh.messages[0];
    assert.deepEqual([answer?.reasoning, answer?.tools, answer?.sources], ['R', [tool], undefined]);
  });
});
