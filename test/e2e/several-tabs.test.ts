/**
 * PROTOCOL.md section 12 as a user sees it: two widgets on one conversation
 * (two tabs of one site share its remembered conversation), and Cancel on a
 * question waiting behind the answer being written. The built bundle against
 * the real dev server binary.
 */
import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../dist/ai-stream-chat.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  mountChat,
  type RunningDevServer,
  settled,
  shadow,
  startDevServer,
  stopDevServer,
  unmountChats,
  waitFor,
} from '../helpers/browser.js';

let server: RunningDevServer | undefined;

beforeEach(async () => {
  localStorage.clear();
  server = await startDevServer(['--rate', '100', '--sections', '3']);
});

afterEach(async () => {
  unmountChats();
  localStorage.clear();
  await stopDevServer(server);
});

async function type(el: AiStreamChat, text: string): Promise<void> {
  shadow(el).querySelector('textarea')?.focus();
  await sendKeys({ type: text });
  await sendKeys({ press: 'Enter' });
}

function userTexts(el: AiStreamChat): string[] {
  return Array.from(shadow(el).querySelectorAll('.message.user .text'), (n) => n.textContent ?? '');
}

const streamingAnswer = (el: AiStreamChat) =>
  el.messages.find((m) => m.role === 'assistant' && m.status === 'streaming' && m.text.length > 20);

function stopButton(el: AiStreamChat): HTMLButtonElement {
  const button = shadow(el).querySelector<HTMLButtonElement>('[part~="stop-button"]');
  if (!button) throw new Error('no Stop button');
  return button;
}

describe('two widgets on one conversation (PROTOCOL.md section 12)', () => {
  it('a question typed in one shows in both, both stream the answer, and Stop in either stops it', async () => {
    const first = await mountChat(`url="${server?.wsUrl}"`);
    // Welcomed: the conversation id is remembered, so the second widget (tab) opens the same one.
    await waitFor(() => localStorage.length > 0, 'the first widget to be welcomed');
    const second = await mountChat(`url="${server?.wsUrl}"`);

    for (const [asker, stopper, round] of [
      [first, second, 1],
      [second, first, 2],
    ] as const) {
      const question = `Question ${round} from one tab`;
      await type(asker, question);
      await waitFor(() => userTexts(stopper).includes(question), 'the question in the other widget');
      const answers = await Promise.all(
        [asker, stopper].map((el) => waitFor(() => streamingAnswer(el), 'streaming')),
      );
      expect(answers[0]?.id).to.equal(answers[1]?.id);
      await settled(stopper);
      stopButton(stopper).click();
      const ended = await Promise.all([asker, stopper].map((el) => answerDone(el, round)));
      for (const answer of ended) expect(answer.finishReason).to.equal('cancelled');
      expect(ended[0]?.text).to.equal(ended[1]?.text);
      expect(userTexts(asker)).to.deep.equal(userTexts(stopper));
    }
  });
});

describe('cancelling a queued question', () => {
  it('Cancel on a question waiting behind an answer takes it out: its answer ends at once, empty; the first goes on', async () => {
    const el = await mountChat(`url="${server?.wsUrl}"`);
    await type(el, 'First question');
    await waitFor(() => streamingAnswer(el), 'the first answer to stream');
    await type(el, 'Second question');
    const queued = await waitFor(
      () => el.messages.find((m) => m.role === 'user' && m.text === 'Second question' && m.queued),
      'the second question to be queued',
    );
    await settled(el);
    const cancel = shadow(el).querySelector<HTMLButtonElement>(
      `[data-key="${queued.key}"] [part~="cancel-queued-button"]`,
    );
    expect(cancel, 'Cancel shows on the queued question').to.exist;
    cancel?.click();
    const cancelled = await waitFor(
      () => el.messages.find((m) => m.role === 'assistant' && m.replyTo === queued.id && m.status === 'done'),
      'the queued answer to end',
    );
    expect(cancelled.finishReason).to.equal('cancelled');
    expect(cancelled.text).to.equal('');
    const first = el.messages.find((m) => m.role === 'assistant' && m.id !== cancelled.id);
    expect(first?.status, 'the first answer still streams').to.equal('streaming');
    await settled(el);
    expect(shadow(el).querySelector('[part~="cancel-queued-button"]'), 'no Cancel left').to.equal(null);
    const done = await answerDone(el, 1);
    expect(done.finishReason).to.equal('stop');
  });
});
