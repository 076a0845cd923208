import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../src/widget/index.js';
import { AiStreamChat, defaultSocketUrl } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  mountChat,
  press,
  type RunningDevServer,
  settled,
  shadow,
  startDevServer,
  stopDevServer,
  trackTimers,
  unmountChats,
  waitFor,
  waitForConnections,
} from '../helpers/browser.js';

describe('<ai-stream-chat> element', () => {
  it('is registered as ai-stream-chat with a shadow root and typed in HTMLElementTagNameMap', () => {
    expect(customElements.get('ai-stream-chat')).to.equal(AiStreamChat);
    const el: AiStreamChat = document.createElement('ai-stream-chat');
    expect(el).to.be.instanceOf(AiStreamChat);
    document.body.append(el);
    expect(el.shadowRoot).to.exist;
    el.remove();
  });

  it('loading the classic-script bundle twice next to the module is harmless', async () => {
    const errors: string[] = [];
    const onError = (e: ErrorEvent) => errors.push(e.message);
    window.addEventListener('error', onError);
    for (let i = 0; i < 2; i++) {
      const script = document.createElement('script');
      script.src = '/dist/ai-stream-chat.iife.js';
      const loaded = new Promise((resolve, reject) => {
        script.onload = resolve;
        script.onerror = reject;
      });
      document.head.append(script);
      await loaded;
    }
    window.removeEventListener('error', onError);
    expect(errors).to.deep.equal([]);
    expect(customElements.get('ai-stream-chat')).to.equal(AiStreamChat);
  });

  it('defaults to the same origin, path /ws, with ws: or wss:', () => {
    expect(defaultSocketUrl('http://example.com:8080/some/page?q=1')).to.equal('ws://example.com:8080/ws');
    expect(defaultSocketUrl('https://example.com/a/b')).to.equal('wss://example.com/ws');
  });

  it('reflects url, heading and placeholder attributes', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws" heading="Help" placeholder="Type here"');
    expect(el.url).to.equal('ws://127.0.0.1:1/ws');
    expect(shadow(el).querySelector('[part~="heading"]')?.textContent).to.equal('Help');
    expect(shadow(el).querySelector('textarea')?.placeholder).to.equal('Type here');
    unmountChats();
  });
});

describe('<ai-stream-chat> composer and streaming', () => {
  let server: RunningDevServer | undefined;
  let el: AiStreamChat;

  async function mount(args: string[]): Promise<void> {
    server = await startDevServer(args);
    el = await mountChat(`url="${server.wsUrl}"`);
  }

  afterEach(async () => {
    unmountChats();
    await stopDevServer(server);
    server = undefined;
  });

  it('Enter sends, Shift+Enter makes a new line, Enter during IME composition does neither', async () => {
    await mount(['--rate', 'max']);
    const input = shadow(el).querySelector('textarea') as HTMLTextAreaElement;
    input.focus();
    await sendKeys({ type: 'first line' });
    await press('Shift+Enter');
    await sendKeys({ type: 'second line' });
    expect(input.value).to.equal('first line\nsecond line');
    expect(el.messages.length).to.equal(0);

    const composing = new KeyboardEvent('keydown', {
      key: 'Enter',
      isComposing: true,
      bubbles: true,
      cancelable: true,
    });
    input.dispatchEvent(composing);
    expect(composing.defaultPrevented).to.equal(false);
    await settled(el);
    expect(el.messages.length).to.equal(0);

    await sendKeys({ press: 'Enter' });
    expect(input.value).to.equal('');
    expect(el.messages[0]?.text).to.equal('first line\nsecond line');
    await answerDone(el);
    await settled(el);
    expect(shadow(el).querySelector('.message.user')?.textContent).to.contain('first line\nsecond line');
  });

  it('a message typed before the connection is up waits as pending, then is sent once', async () => {
    server = await startDevServer(['--rate', 'max']);
    el = await mountChat(`url="${server.wsUrl}"`, {
      beforeConnect: (el) => el.send('early bird'), // before the element is even connected
    });
    await answerDone(el);
    expect(el.messages.filter((m) => m.role === 'user').map((m) => [m.text, m.status])).to.deep.equal([
      ['early bird', 'done'],
    ]);
    expect(el.messages.filter((m) => m.role === 'assistant').length).to.equal(1);
  });

  it('touches the DOM at most once per animation frame, however fast deltas arrive', async () => {
    // A delta per token (no delta window), so deltas come many times faster than frames.
    await mount(['--rate', 'max', '--sections', '30', '--delta-window-ms', '0']);
    let frames = 0;
    let counting = true;
    const countFrames = () => {
      frames++;
      if (counting) requestAnimationFrame(countFrames);
    };
    requestAnimationFrame(countFrames);
    // Mutation records are delivered after each task or rAF callback that changed the DOM. Inside one
    // frame there can be two deliveries: markdown rendered in the rAF callback, then Lit's update in
    // the microtask after it. Rendering per delta instead gives thousands.
    let deliveries = 0;
    const observer = new MutationObserver(() => {
      deliveries++;
    });
    observer.observe(shadow(el), { subtree: true, childList: true, characterData: true, attributes: true });
    el.send('a long one please');
    const answer = await answerDone(el);
    await settled(el);
    counting = false;
    observer.disconnect();
    const deltas = answer.seq;
    expect(deltas, 'many more deltas than frames').to.be.greaterThan(frames * 2);
    expect(deliveries, `${deliveries} DOM updates over ${frames} frames`).to.be.at.most(2 * frames + 2);
  });

  it('an acknowledged message leaves no resend timer behind', async () => {
    // The session resends a message the server has not acknowledged within 10 s; once the
    // ack is in, that timer must go, or every message keeps the element alive for 10 s.
    const timers = trackTimers(/\/src\/widget\/chat-session\.ts/);
    try {
      await mount(['--rate', 'max']);
      el.send('hello');
      await answerDone(el);
      expect(el.messages.map((m) => m.status)).to.deep.equal(['done', 'done']);
      expect(timers.pending(), 'delays (ms) of session timers still set').to.deep.equal([]);
    } finally {
      timers.stop();
    }
  });

  it('removing the element closes its connection and leaves no timer running', async () => {
    const timers = trackTimers(/\/src\/widget\/|\/partysocket\//);
    try {
      await mount(['--rate', 'max']);
      el.send('hello');
      await answerDone(el);
      await waitForConnections(server as RunningDevServer, 1);
      unmountChats();
      await settled(el);
      expect(timers.pending(), 'delays (ms) of timers still set after removal').to.deep.equal([]);
      await waitForConnections(server as RunningDevServer, 0);
    } finally {
      timers.stop();
    }
  });

  it('keeps the status line quiet while connected and says so when the connection drops', async () => {
    await mount(['--rate', 'max']);
    const status = () => shadow(el).querySelector('.status')?.textContent ?? '';
    await waitFor(() => status() === '', 'connected, quiet status');
    el.send('hello');
    await answerDone(el);
    await stopDevServer(server);
    server = undefined;
    await waitFor(() => /Reconnecting/.test(status()), 'a reconnecting status');
  });
});
