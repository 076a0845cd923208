/**
 * Keyboard access in real Chromium: Tab (real key presses) reaches every
 * control the widget shows, in every state that adds one, and each shows a
 * visible focus ring while focused from the keyboard.
 */
import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  mountChat,
  press,
  settled,
  shadow,
  twoFrames,
  unmountChats,
  waitFor,
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { type FakeSocket, installFakeSocket } from '../helpers/fake-socket.js';

interface Stop {
  name: string;
  /** Computed outline while focused: style and width. */
  outline: string;
}

/** The focused element, looking into shadow roots. */
function deepActive(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

function nameOf(el: Element): string {
  const part = el.getAttribute('part');
  if (part) return part;
  if (el.classList.contains('md-copy')) return 'code-copy-button';
  if (el.id) return `#${el.id}`;
  return `${el.tagName.toLowerCase()}: ${el.textContent?.trim()}`;
}

/** Presses Tab from the button before the widget until focus reaches the button after it. */
async function tabThrough(): Promise<Stop[]> {
  (document.getElementById('before') as HTMLButtonElement).focus();
  const stops: Stop[] = [];
  for (let i = 0; i < 40; i++) {
    await sendKeys({ press: 'Tab' });
    // Focus scrolls a control in the log into view; the scroll's effect (Jump to latest shown
    // or gone) lands a frame or two later, before a reader's next Tab.
    await twoFrames();
    const el = deepActive();
    if (!el || el.id === 'after') return stops;
    const style = getComputedStyle(el);
    stops.push({ name: nameOf(el), outline: `${style.outlineStyle} ${style.outlineWidth}` });
  }
  throw new Error(`Tab never left the widget: ${stops.map((s) => s.name).join(', ')}`);
}

function expectVisibleRings(stops: Stop[]): void {
  for (const stop of stops) {
    expect(stop.outline, `focus ring of ${stop.name}`).not.to.match(/^none|\b0px$/);
  }
}

let restore: () => void;

function mount(attributes: string): Promise<AiStreamChat> {
  return mountChat(`url="ws://fake/ws" ${attributes}`, {
    before: '<button id="before">before</button>',
    after: '<button id="after">after</button>',
  });
}

/** Sends `text` and streams `answer` for it (leaving it streaming unless `finish`). */
async function answer(el: AiStreamChat, socket: FakeSocket, text: string, answerText: string, finish = true) {
  el.send(text);
  const send = socket.sent.filter((f) => f.type === 'send').at(-1) as { clientMsgId: string };
  const n = socket.sent.filter((f) => f.type === 'send').length;
  socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: `u${n}` });
  socket.receive({ type: 'start', messageId: `a${n}`, replyTo: `u${n}` });
  socket.receive({ type: 'delta', messageId: `a${n}`, seq: 1, text: answerText });
  if (finish) {
    socket.receive({
      type: 'done',
      messageId: `a${n}`,
      seq: 1,
      finishReason: 'stop',
      usage: { promptTokens: 1, completionTokens: 1 },
    });
  }
  // The whole answer on screen: its markdown renders over several frames where lexing is slow (WebKit).
  const lastLine = answerText.trim().split('\n').at(-1) as string;
  await waitFor(
    () => [...shadow(el).querySelectorAll('.message.assistant')].at(-1)?.textContent?.includes(lastLine),
    'the answer on screen',
  );
  await settled(el);
}

const LONG_ANSWER = `Here is some code:\n\n\`\`\`js\nconst answer = 42;\n\`\`\`\n\n${Array.from(
  { length: 40 },
  (_, i) => `Paragraph ${i + 1} of a long answer.`,
).join('\n\n')}\n`;

describe('<ai-stream-chat> keyboard access', () => {
  beforeEach(() => {
    restore = installFakeSocket();
  });
  afterEach(() => {
    unmountChats();
    restore();
  });

  it('Tab reaches every control of the inline widget, with a visible focus ring, in every state that adds one', async () => {
    const el = await mount('');
    const socket = await welcomeOnFakeSocket(el);
    await answer(el, socket, 'first question', LONG_ANSWER);
    // A connection the server closed for good brings Reconnect now.
    socket.close(4500, 'origin not allowed');
    await settled(el);
    const stops = await tabThrough();
    expect(stops.map((s) => s.name)).to.deep.equal([
      'new-conversation-button',
      'log',
      'code-copy-button',
      'copy-button',
      'regenerate-button',
      'feedback-up-button',
      'feedback-down-button',
      'button: Reconnect now',
      'input',
      'send-button',
    ]);
    expectVisibleRings(stops);

    // Scrolled up from the keyboard (Home in the focused log), Jump to latest shows
    // and is one Shift+Tab back from the text box, before Reconnect now.
    const log = shadow(el).querySelector('[part~="log"]') as HTMLElement;
    expect(log.scrollHeight, 'the answer overflows the log').to.be.greaterThan(log.clientHeight);
    log.focus();
    await sendKeys({ press: 'Home' });
    await waitFor(() => shadow(el).querySelector('[part~="jump-latest"]'), 'Jump to latest');
    (shadow(el).querySelector('textarea') as HTMLTextAreaElement).focus();
    const back: Stop[] = [];
    for (let i = 0; i < 2; i++) {
      await press('Shift+Tab');
      const active = deepActive() as Element;
      const style = getComputedStyle(active);
      back.push({ name: nameOf(active), outline: `${style.outlineStyle} ${style.outlineWidth}` });
    }
    expect(back.map((s) => s.name)).to.deep.equal(['button: Reconnect now', 'jump-latest']);
    expectVisibleRings(back);
  });

  it('Tab reaches Retry on a refused message', async () => {
    const el = await mount('');
    const socket = await welcomeOnFakeSocket(el);
    el.send('refused one');
    const refused = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({
      type: 'error',
      code: 'text_too_long',
      message: 'Too long.',
      retryable: false,
      clientMsgId: refused.clientMsgId,
    });
    await settled(el);
    const stops = await tabThrough();
    expect(stops.map((s) => s.name)).to.deep.equal([
      'new-conversation-button',
      'log',
      'retry-button',
      'input',
      'send-button',
    ]);
    expectVisibleRings(stops);
  });

  it('Tab reaches Stop while an answer streams', async () => {
    const el = await mount('');
    const socket = await welcomeOnFakeSocket(el);
    await answer(el, socket, 'question', 'Streaming…', false);
    const stops = await tabThrough();
    expect(stops.map((s) => s.name)).to.deep.equal([
      'new-conversation-button',
      'log',
      'input',
      'stop-button',
    ]);
    expectVisibleRings(stops);
  });

  it('floating mode: Tab reaches the launcher, and with the panel open the close button and all the rest', async () => {
    const el = await mount('mode="floating"');
    await welcomeOnFakeSocket(el);
    const closed = await tabThrough();
    expect(closed.map((s) => s.name)).to.deep.equal(['launcher']);
    expectVisibleRings(closed);
    el.open = true;
    await settled(el);
    const open = await tabThrough();
    expect(open.map((s) => s.name)).to.deep.equal([
      'new-conversation-button',
      'close-button',
      'log',
      'input',
      'send-button',
      'launcher',
    ]);
    expectVisibleRings(open);
  });
});
