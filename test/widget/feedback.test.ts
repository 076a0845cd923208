/**
 * The thumbs under an answer, against the real dev server: real buttons
 * reached with Tab and pressed with the keyboard or the pointer,
 * `aria-pressed`, the `ai-chat-feedback` event, the thanks read to screen
 * readers, labels from `strings`, another tab on the conversation following
 * the choice, and the choice coming back after a reload.
 */
import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import type { FeedbackDetail } from '../../src/widget/events.js';
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
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { installFakeSocket } from '../helpers/fake-socket.js';

const thumb = (el: AiStreamChat, value: 'up' | 'down') =>
  shadow(el).querySelector<HTMLButtonElement>(`[part~="feedback-${value}-button"]`) as HTMLButtonElement;
const pressed = (el: AiStreamChat) =>
  [thumb(el, 'up'), thumb(el, 'down')].map((b) => b.getAttribute('aria-pressed'));

/** The focused element, looking into shadow roots. */
function deepActive(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

describe('<ai-stream-chat> answer feedback (dev server)', () => {
  let server: RunningDevServer | undefined;

  beforeEach(async () => {
    server = await startDevServer(['--rate', 'max']);
    localStorage.clear();
  });
  afterEach(async () => {
    unmountChats();
    await stopDevServer(server);
    server = undefined;
    localStorage.clear();
  });

  async function askedChat(attributes = ''): Promise<{ el: AiStreamChat; messageId: string }> {
    const el = await mountChat(`url="${server?.wsUrl}" ${attributes}`);
    el.send('/echo A *fine* answer.');
    const answer = await answerDone(el);
    await settled(el);
    return { el, messageId: answer.id as string };
  }

  it('shows two labelled toggle buttons under a finished answer, and none under a question', async () => {
    const { el } = await askedChat();
    const up = thumb(el, 'up');
    const down = thumb(el, 'down');
    expect([up.tagName, up.type, down.tagName, down.type]).to.deep.equal([
      'BUTTON',
      'button',
      'BUTTON',
      'button',
    ]);
    expect([up.getAttribute('aria-label'), down.getAttribute('aria-label')]).to.deep.equal([
      'Good answer',
      'Bad answer',
    ]);
    expect([up.title, down.title]).to.deep.equal(['Good answer', 'Bad answer']);
    expect(pressed(el)).to.deep.equal(['false', 'false']);
    expect(up.closest('[part~="message-actions"]')?.closest('.assistant')).to.exist;
    expect(shadow(el).querySelector('.user [part~="feedback-up-button"]')).to.equal(null);
    // Drawn, and a chosen one looks different.
    expect(up.getBoundingClientRect().width).to.be.greaterThan(0);
    const before = getComputedStyle(up).backgroundColor;
    up.click();
    await settled(el);
    expect(getComputedStyle(up).backgroundColor).not.to.equal(before);
  });

  it('a click or the keyboard chooses, switches and takes back the verdict: aria-pressed, the event and the thanks follow', async () => {
    const { el, messageId } = await askedChat();
    const events: FeedbackDetail[] = [];
    document.addEventListener('ai-chat-feedback', (e) => events.push(e.detail));
    const live = shadow(el).querySelector('[aria-live="polite"]') as HTMLElement;

    thumb(el, 'up').click();
    await settled(el);
    expect(pressed(el)).to.deep.equal(['true', 'false']);
    expect(el.messages.find((m) => m.id === messageId)?.feedback).to.equal('up');
    await waitFor(() => live.textContent?.includes('Thanks for the feedback.'), 'the thanks read out');

    // From the keyboard: Tab from thumbs up to thumbs down, Enter chooses it.
    thumb(el, 'up').focus();
    await sendKeys({ press: 'Tab' });
    expect(deepActive()).to.equal(thumb(el, 'down'));
    await sendKeys({ press: 'Enter' });
    await settled(el);
    expect(pressed(el)).to.deep.equal(['false', 'true']);
    // Space on the chosen one takes it back.
    // ' ': the space bar's key value, which every driver knows (puppeteer has no key named 'Space').
    await sendKeys({ press: ' ' });
    await settled(el);
    expect(pressed(el)).to.deep.equal(['false', 'false']);
    expect(el.messages.find((m) => m.id === messageId)?.feedback).to.equal(undefined);

    expect(events).to.deep.equal([
      { messageId, value: 'up' },
      { messageId, value: 'down' },
      { messageId, value: null },
    ]);
  });

  it('another tab on the conversation follows the choice, and it comes back after a reload', async () => {
    const { el, messageId } = await askedChat('persist="local"');
    const conversationId = localStorage.getItem(`ai-stream-chat:conversation:${server?.wsUrl}`);
    expect(conversationId, 'the remembered conversation').to.be.a('string');
    const other = await mountChat(
      `url="${server?.wsUrl}" persist="none" conversation-id="${conversationId}"`,
    );
    await waitFor(() => other.messages.find((m) => m.id === messageId)?.status === 'done', 'the other tab');
    await settled(other);
    expect(pressed(other)).to.deep.equal(['false', 'false']);

    thumb(el, 'down').click();
    await waitFor(
      () => other.messages.find((m) => m.id === messageId)?.feedback === 'down',
      'the choice in the other tab',
    );
    await settled(other);
    expect(pressed(other)).to.deep.equal(['false', 'true']);

    // A reload: the element goes, a new one opens the remembered conversation.
    unmountChats();
    const reloaded = await mountChat(`url="${server?.wsUrl}" persist="local"`);
    await waitFor(() => reloaded.messages.find((m) => m.id === messageId), 'the history after the reload');
    await settled(reloaded);
    expect(reloaded.messages.find((m) => m.id === messageId)?.feedback).to.equal('down');
    expect(pressed(reloaded)).to.deep.equal(['false', 'true']);
  });

  it('takes its labels and its thanks from strings', async () => {
    const { el } = await askedChat(
      `strings='{"goodAnswer":"Gute Antwort","badAnswer":"Schlechte Antwort","feedbackThanks":"Danke!"}'`,
    );
    expect([thumb(el, 'up').getAttribute('aria-label'), thumb(el, 'down').title]).to.deep.equal([
      'Gute Antwort',
      'Schlechte Antwort',
    ]);
    thumb(el, 'down').click();
    const live = shadow(el).querySelector('[aria-live="polite"]') as HTMLElement;
    await waitFor(() => live.textContent?.includes('Danke!'), 'the thanks from strings');
  });
});

describe('<ai-stream-chat> answer feedback (scripted server)', () => {
  let restore: () => void;
  beforeEach(() => {
    restore = installFakeSocket();
  });
  afterEach(() => {
    unmountChats();
    restore();
  });

  it('no thumbs while an answer streams; they come when it ends, and send the feedback frame', async () => {
    const el = await mountChat('url="ws://fake/ws"');
    const socket = await welcomeOnFakeSocket(el);
    el.send('hi');
    const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: 'u1' });
    socket.receive({ type: 'start', messageId: 'a1', replyTo: 'u1' });
    socket.receive({ type: 'delta', messageId: 'a1', seq: 1, text: 'Hello' });
    await settled(el);
    expect(shadow(el).querySelector('[part~="feedback-up-button"]'), 'while streaming').to.equal(null);
    socket.receive({ type: 'done', messageId: 'a1', seq: 1, finishReason: 'stop', usage: null });
    await waitFor(() => shadow(el).querySelector('[part~="feedback-up-button"]'), 'the thumbs');
    thumb(el, 'down').click();
    expect(socket.sent.filter((f) => f.type === 'feedback')).to.deep.equal([
      { type: 'feedback', messageId: 'a1', value: 'down' },
    ]);
    // The server's word wins: a verdict from another tab replaces ours.
    socket.receive({ type: 'feedback', messageId: 'a1', value: 'up' });
    await settled(el);
    expect(pressed(el)).to.deep.equal(['true', 'false']);
  });
});
