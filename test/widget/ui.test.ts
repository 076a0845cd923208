/**
 * The chat UI as a user and a host page see it: attributes, strings and
 * direction, theme, floating mode, controls, events and announcements.
 */
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import type { AiStreamChatEventMap } from '../../src/widget/events.js';
import {
  answerDone,
  itExcept,
  mountChat,
  press,
  type RunningDevServer,
  settled,
  shadow,
  startDevServer,
  stopDevServer,
  unmountChats,
  waitFor,
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { FakeSocket, installFakeSocket, welcomeFrame } from '../helpers/fake-socket.js';

const part = (el: AiStreamChat, name: string) => shadow(el).querySelector<HTMLElement>(`[part~="${name}"]`);
const parts = (el: AiStreamChat, name: string) => [
  ...shadow(el).querySelectorAll<HTMLElement>(`[part~="${name}"]`),
];

function record<K extends keyof AiStreamChatEventMap>(
  target: EventTarget,
  type: K,
): AiStreamChatEventMap[K][] {
  const events: AiStreamChatEventMap[K][] = [];
  target.addEventListener(type, (e) => events.push(e as AiStreamChatEventMap[K]));
  return events;
}

describe('<ai-stream-chat> attributes, strings and direction', () => {
  afterEach(unmountChats);

  it('reflects every attribute to a typed property and back', async () => {
    const el = await mountChat(`url="ws://127.0.0.1:1/ws" session-url="/session" conversation-id="c_42"
      persist="session" placeholder="Type" heading="Help" theme="dark" mode="floating"
      allow-images="https://img.example" params='{"temperature":0.3,"maxTokens":200}'
      welcome-message="Hi there" lang="de"`);
    expect(el.url).to.equal('ws://127.0.0.1:1/ws');
    expect(el.sessionUrl).to.equal('/session');
    expect(el.conversationId).to.equal('c_42');
    expect(el.persist).to.equal('session');
    expect(el.placeholder).to.equal('Type');
    expect(el.heading).to.equal('Help');
    expect(el.theme).to.equal('dark');
    expect(el.mode).to.equal('floating');
    expect(el.allowImages).to.equal('https://img.example');
    expect(el.params).to.deep.equal({ temperature: 0.3, maxTokens: 200 });
    expect(el.welcomeMessage).to.equal('Hi there');
    expect(el.lang).to.equal('de');
    el.theme = 'auto';
    el.mode = 'inline';
    el.heading = 'Other';
    await settled(el);
    expect(el.getAttribute('theme')).to.equal('auto');
    expect(el.getAttribute('mode')).to.equal('inline');
    expect(part(el, 'heading')?.textContent).to.equal('Other');
  });

  it('reflects as README says: every property writes its attribute, but params and strings', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws" persist="none"');
    const written: Record<string, string | null> = {};
    const strings: [keyof AiStreamChat & string, string, string][] = [
      ['sessionUrl', 'session-url', '/s'],
      ['conversationId', 'conversation-id', 'c_1'],
      ['heading', 'heading', 'H'],
      ['placeholder', 'placeholder', 'P'],
      ['theme', 'theme', 'dark'],
      ['mode', 'mode', 'floating'],
      ['allowImages', 'allow-images', 'https://img.example'],
      ['welcomeMessage', 'welcome-message', 'W'],
      ['lang', 'lang', 'de'],
      ['dir', 'dir', 'rtl'],
      ['url', 'url', 'ws://127.0.0.1:2/ws'],
      ['persist', 'persist', 'session'],
    ];
    for (const [property, , value] of strings) Object.assign(el, { [property]: value });
    el.open = true;
    el.allowHtml = true;
    el.params = { temperature: 0.5 };
    el.strings = { send: 'Senden' };
    await settled(el);
    for (const [, attribute] of strings) written[attribute] = el.getAttribute(attribute);
    expect(written).to.deep.equal(
      Object.fromEntries(strings.map(([, attribute, value]) => [attribute, value])),
    );
    expect([el.getAttribute('open'), el.getAttribute('allow-html')]).to.deep.equal(['', '']);
    expect([el.hasAttribute('params'), el.hasAttribute('strings')]).to.deep.equal([false, false]);
  });

  it('has documented defaults and writes no attribute of its own', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws"');
    expect([el.theme, el.mode, el.persist, el.open, el.placeholder]).to.deep.equal([
      'light',
      'inline',
      'local',
      false,
      '',
    ]);
    expect(el.params).to.deep.equal({});
    expect(el.getAttributeNames()).to.deep.equal(['url']);
    expect(shadow(el).querySelector('textarea')?.placeholder).to.equal('Ask anything…');
    expect(part(el, 'send-button')?.textContent?.trim()).to.equal('Send');
  });

  it('ignores a params attribute that is not valid JSON parameters', async () => {
    const el = await mountChat(`url="ws://127.0.0.1:1/ws" params='{"temperature":"hot"}'`);
    expect(el.params).to.deep.equal({});
  });

  it('takes every UI string from the strings attribute or property, English for the rest', async () => {
    const el = await mountChat(
      `url="ws://127.0.0.1:1/ws" strings='{"send":"Senden","placeholder":"Frag etwas","newConversation":"Neues Gespräch"}'`,
    );
    expect(part(el, 'send-button')?.textContent?.trim()).to.equal('Senden');
    expect(shadow(el).querySelector('textarea')?.placeholder).to.equal('Frag etwas');
    expect(part(el, 'new-conversation-button')?.textContent?.trim()).to.equal('Neues Gespräch');
    el.strings = { send: 'Envoyer' };
    await settled(el);
    expect(part(el, 'send-button')?.textContent?.trim()).to.equal('Envoyer');
    expect(part(el, 'new-conversation-button')?.textContent?.trim()).to.equal('New conversation');
  });

  it('lays out right to left for a right-to-left lang, and left to right otherwise', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws" lang="ar"');
    el.send('مرحبا');
    await settled(el);
    const root = shadow(el).querySelector('.root') as HTMLElement;
    expect(getComputedStyle(root).direction).to.equal('rtl');
    const log = part(el, 'log')?.getBoundingClientRect() as DOMRect;
    const bubble = shadow(el).querySelector('.message.user')?.getBoundingClientRect() as DOMRect;
    expect(bubble.left - log.left, 'the user bubble hugs the left edge').to.be.lessThan(
      log.right - bubble.right,
    );
    el.lang = 'en';
    await settled(el);
    expect(getComputedStyle(root).direction).to.equal('ltr');
    const ltrBubble = shadow(el).querySelector('.message.user')?.getBoundingClientRect() as DOMRect;
    expect(log.right - ltrBubble.right).to.be.lessThan(ltrBubble.left - log.left);
  });

  it('takes its theme from the theme attribute', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws"');
    const background = () => getComputedStyle(part(el, 'panel') as HTMLElement).backgroundColor;
    expect(background()).to.equal('rgb(255, 255, 255)');
    el.theme = 'dark';
    await settled(el);
    expect(background()).to.equal('rgb(13, 17, 23)');
    el.theme = 'light';
    await settled(el);
    expect(background()).to.equal('rgb(255, 255, 255)');
  });

  const noColorSchemeEmulation = 'the driver cannot emulate prefers-color-scheme';
  itExcept(
    {
      firefox: `${noColorSchemeEmulation} (puppeteer does it over CDP only, Firefox speaks BiDi)`,
      webkit: `${noColorSchemeEmulation} (WebDriver classic has no media emulation)`,
    },
    'takes its theme from the system with theme="auto"',
    async () => {
      const el = await mountChat('url="ws://127.0.0.1:1/ws" theme="auto"');
      const background = () => getComputedStyle(part(el, 'panel') as HTMLElement).backgroundColor;
      await emulateMedia({ colorScheme: 'dark' });
      expect(background()).to.equal('rgb(13, 17, 23)');
      await emulateMedia({ colorScheme: 'light' });
      expect(background()).to.equal('rgb(255, 255, 255)');
    },
  );

  it('shows the welcome message first, as an assistant bubble', async () => {
    const el = await mountChat('url="ws://127.0.0.1:1/ws" welcome-message="Hello! Ask me anything."');
    const first = part(el, 'log')?.querySelector('.message');
    expect(first?.getAttribute('part')).to.contain('welcome');
    expect(first?.textContent).to.equal('Hello! Ask me anything.');
  });
});

describe('<ai-stream-chat> floating mode', () => {
  let el: AiStreamChat;
  afterEach(unmountChats);

  it('a launcher opens and closes the panel from the keyboard, moving focus in and back', async () => {
    el = await mountChat('url="ws://127.0.0.1:1/ws" mode="floating"');
    const launcher = part(el, 'launcher') as HTMLButtonElement;
    const panel = part(el, 'panel') as HTMLElement;
    expect(panel.checkVisibility()).to.equal(false);
    expect(launcher.getAttribute('aria-expanded')).to.equal('false');
    launcher.focus();
    await sendKeys({ press: 'Enter' });
    await settled(el);
    expect(el.open).to.equal(true);
    expect(panel.checkVisibility()).to.equal(true);
    expect(launcher.getAttribute('aria-expanded')).to.equal('true');
    expect(shadow(el).activeElement?.tagName).to.equal('TEXTAREA');
    await sendKeys({ press: 'Escape' });
    await settled(el);
    expect(el.open).to.equal(false);
    expect(panel.checkVisibility()).to.equal(false);
    expect(shadow(el).activeElement).to.equal(launcher);
  });

  it('focus() opens the panel and puts the caret in the text box', async () => {
    el = await mountChat('url="ws://127.0.0.1:1/ws" mode="floating"');
    el.focus();
    await settled(el);
    expect(el.open).to.equal(true);
    expect(shadow(el).activeElement?.tagName).to.equal('TEXTAREA');
  });

  it('fits a 320 px wide viewport', async () => {
    el = await mountChat('url="ws://127.0.0.1:1/ws" mode="floating" open');
    const frameWidth = window.innerWidth;
    document.documentElement.style.width = '320px';
    const panel = part(el, 'panel')?.getBoundingClientRect() as DOMRect;
    expect(panel.left).to.be.at.least(0);
    expect(panel.right).to.be.at.most(frameWidth);
    document.documentElement.style.width = '';
  });
});

describe('<ai-stream-chat> controls (scripted server)', () => {
  let restore: () => void;
  let el: AiStreamChat;

  beforeEach(async () => {
    restore = installFakeSocket();
    el = await mountChat('url="ws://fake/ws"');
    await welcomeOnFakeSocket(el);
  });

  afterEach(() => {
    unmountChats();
    restore();
  });

  it('shows typing dots until the first token, then announces the finished answer once', async () => {
    const socket = FakeSocket.last;
    const done = record(el, 'ai-chat-answer-done');
    const started = record(el, 'ai-chat-answer-start');
    const live = shadow(el).querySelector('[aria-live="polite"]') as HTMLElement;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(live.textContent?.trim() ?? ''));
    observer.observe(live, { subtree: true, childList: true, characterData: true });

    el.send('hi');
    const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: 'u1' });
    await settled(el);
    expect(part(el, 'typing-indicator'), 'dots after the ack').to.exist;
    socket.receive({ type: 'start', messageId: 'a1', replyTo: 'u1' });
    await settled(el);
    expect(started.map((e) => e.detail)).to.deep.equal([{ messageId: 'a1', replyTo: 'u1' }]);
    expect(part(el, 'typing-indicator'), 'dots until the first token').to.exist;
    expect(part(el, 'stop-button')?.textContent?.trim()).to.equal('Stop');
    socket.receive({ type: 'delta', messageId: 'a1', seq: 1, text: 'Hello ' });
    await settled(el);
    expect(part(el, 'typing-indicator'), 'no dots once text shows').to.equal(null);
    socket.receive({ type: 'delta', messageId: 'a1', seq: 2, text: '**world**' });
    await settled(el);
    socket.receive({
      type: 'done',
      messageId: 'a1',
      seq: 2,
      finishReason: 'stop',
      usage: { promptTokens: 2, completionTokens: 2 },
    });
    await settled(el);
    await waitFor(() => heard.length > 0, 'an announcement');
    await settled(el);
    observer.disconnect();
    expect(done.map((e) => e.detail)).to.deep.equal([
      {
        messageId: 'a1',
        text: 'Hello **world**',
        finishReason: 'stop',
        usage: { promptTokens: 2, completionTokens: 2 },
        reasoning: '',
        tools: [],
        sources: [],
      },
    ]);
    expect(heard.filter((t) => t !== '')).to.deep.equal(['Answer: Hello world']);
    expect(part(el, 'log')?.getAttribute('role')).to.equal('log');
    expect(part(el, 'send-button')?.textContent?.trim()).to.equal('Send');
  });

  it('marks a refused message as failed with a Retry that sends it again', async () => {
    const socket = FakeSocket.last;
    const errors = record(document, 'ai-chat-error');
    el.send('too long');
    const first = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({
      type: 'error',
      code: 'text_too_long',
      message: 'Message is too long.',
      retryable: false,
      clientMsgId: first.clientMsgId,
    });
    await settled(el);
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['text_too_long']);
    expect(shadow(el).querySelector('.message.user.failed')?.textContent).to.contain(
      'Not sent: Message is too long.',
    );
    (part(el, 'retry-button') as HTMLButtonElement).click();
    await settled(el);
    const sends = socket.sent.filter((f) => f.type === 'send');
    expect(sends.map((f) => f.text)).to.deep.equal(['too long', 'too long']);
    expect(el.messages.map((m) => m.status)).to.deep.equal(['sent']);
  });

  it('marks a message typed while disconnected as pending until it goes out', async () => {
    FakeSocket.last.close(4000, 'test drop');
    await settled(el);
    el.send('later');
    await settled(el);
    expect(shadow(el).querySelector('.message.user')?.textContent).to.contain('Waiting to send…');
    await waitFor(() => FakeSocket.sockets.length > 1 && FakeSocket.last.sent.length > 0, 'a reconnect');
    FakeSocket.last.receive(welcomeFrame());
    await settled(el);
    expect(FakeSocket.last.sent.map((f) => f.type)).to.deep.equal(['hello', 'send']);
    expect(shadow(el).querySelector('.message.user')?.textContent).not.to.contain('Waiting to send…');
  });

  it('sends the params attribute, overridden per send(), with each message', async () => {
    el.params = { temperature: 0.2, maxTokens: 100 };
    const sent = record(el, 'ai-chat-message-sent');
    el.send('one');
    el.send('two', { temperature: 0.9 });
    const frames = FakeSocket.last.sent.filter((f) => f.type === 'send');
    expect(frames.map((f) => f.params)).to.deep.equal([
      { temperature: 0.2, maxTokens: 100 },
      { temperature: 0.9, maxTokens: 100 },
    ]);
    expect(sent.map((e) => [e.detail.text, e.detail.params])).to.deep.equal([
      ['one', { temperature: 0.2, maxTokens: 100 }],
      ['two', { temperature: 0.9, maxTokens: 100 }],
    ]);
    expect(sent[0]?.bubbles && sent[0]?.composed).to.equal(true);
  });

  it('grows the text box with its text, up to a limit', async () => {
    const input = shadow(el).querySelector('textarea') as HTMLTextAreaElement;
    input.focus();
    const oneLine = input.getBoundingClientRect().height;
    await sendKeys({ type: 'a' });
    for (let i = 0; i < 3; i++) {
      await press('Shift+Enter');
      await sendKeys({ type: 'a' });
    }
    const fourLines = input.getBoundingClientRect().height;
    expect(fourLines).to.be.greaterThan(oneLine * 2);
    for (let i = 0; i < 20; i++) await press('Shift+Enter');
    expect(input.getBoundingClientRect().height).to.be.lessThan(oneLine * 8);
    await sendKeys({ press: 'Enter' });
    expect(input.getBoundingClientRect().height).to.equal(oneLine);
  });

  it('labels the copy buttons of code blocks from strings, and relabels them when strings change', async () => {
    const socket = FakeSocket.last;
    el.strings = { copy: 'Kopieren', copyCode: '{language}-Code kopieren' };
    el.send('code please');
    const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: 'u1' });
    socket.receive({ type: 'start', messageId: 'a1', replyTo: 'u1' });
    socket.receive({
      type: 'delta',
      messageId: 'a1',
      seq: 1,
      text: '```js\nlet a = 1;\n```\n\n```\nplain\n',
    });
    const buttons = () => [...shadow(el).querySelectorAll('button.md-copy')];
    const labels = () => buttons().map((b) => [b.textContent, b.getAttribute('aria-label')]);
    await waitFor(() => buttons().length === 2, 'a finished and a live code block');
    expect(labels()).to.deep.equal([
      ['Kopieren', 'js-Code kopieren'],
      ['Kopieren', 'text-Code kopieren'],
    ]);
    el.strings = {};
    await settled(el);
    expect(labels()).to.deep.equal([
      ['Copy', 'Copy js code'],
      ['Copy', 'Copy text code'],
    ]);
  });

  it('shows an answer once after the element is moved in the page', async () => {
    const socket = FakeSocket.last;
    el.send('hi');
    const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
    socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: 'u1' });
    socket.receive({ type: 'start', messageId: 'a1', replyTo: 'u1' });
    socket.receive({ type: 'delta', messageId: 'a1', seq: 1, text: 'Hello **world**' });
    socket.receive({ type: 'done', messageId: 'a1', seq: 1, finishReason: 'stop', usage: null });
    const markdown = () => shadow(el).querySelector('.markdown')?.innerHTML;
    await waitFor(() => markdown()?.includes('world'), 'the answer');
    const before = markdown();
    el.parentElement?.append(el); // disconnected, then connected again
    await settled(el);
    await settled(el);
    expect(markdown()).to.equal(before);
  });

  it('shows no status while connected, and the reason when stopped, with a way to reconnect', async () => {
    const changes = record(el, 'ai-chat-connection-change');
    expect(part(el, 'status')?.textContent).to.equal('');
    FakeSocket.last.close(4500, 'origin not allowed');
    await settled(el);
    expect(part(el, 'status')?.textContent).to.contain('Disconnected: origin not allowed');
    expect(changes.map((e) => [e.detail.status, e.detail.detail])).to.deep.equal([
      ['stopped', 'origin not allowed'],
    ]);
    const count = FakeSocket.sockets.length;
    (shadow(el).querySelector('[part~="status"] button') as HTMLButtonElement).click();
    await waitFor(() => FakeSocket.sockets.length > count, 'a new connection');
  });
});

describe('<ai-stream-chat> controls (dev server)', () => {
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

  it('Stop cancels the streaming answer on the server', async () => {
    await mount(['--rate', '20', '--sections', '5']);
    const done = record(el, 'ai-chat-answer-done');
    el.send('a long one');
    await waitFor(() => el.messages.find((m) => m.role === 'assistant')?.text, 'the first tokens');
    await settled(el);
    const stop = part(el, 'stop-button') as HTMLButtonElement;
    expect(stop.textContent?.trim()).to.equal('Stop');
    stop.click();
    const answer = await answerDone(el);
    await settled(el);
    expect(answer.finishReason).to.equal('cancelled');
    expect(done[0]?.detail.finishReason).to.equal('cancelled');
    expect(shadow(el).querySelector('.assistant')?.textContent).to.contain('Stopped.');
    expect(part(el, 'send-button')?.textContent?.trim()).to.equal('Send');
  });

  it('Regenerate asks the last question again; Copy copies the raw answer', async () => {
    await mount(['--rate', 'max']);
    el.send('/echo **bold** answer');
    await answerDone(el);
    await settled(el);
    const copied: string[] = [];
    const clipboard = navigator.clipboard;
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (text: string) => void copied.push(text) },
    });
    try {
      (part(el, 'copy-button') as HTMLButtonElement).click();
      await waitFor(() => part(el, 'copy-button')?.textContent?.trim() === 'Copied', 'the Copied label');
    } finally {
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: clipboard });
    }
    expect(copied).to.deep.equal(['**bold** answer']);
    expect(parts(el, 'regenerate-button').length).to.equal(1);
    (part(el, 'regenerate-button') as HTMLButtonElement).click();
    await answerDone(el, 2);
    expect(el.messages.filter((m) => m.role === 'user').map((m) => m.text)).to.deep.equal([
      '/echo **bold** answer',
      '/echo **bold** answer',
    ]);
  });

  it('New conversation empties the list and the next question starts afresh', async () => {
    await mount(['--rate', 'max']);
    el.send('first');
    await answerDone(el);
    await settled(el);
    (part(el, 'new-conversation-button') as HTMLButtonElement).click();
    await settled(el);
    expect(el.messages).to.deep.equal([]);
    expect(shadow(el).querySelectorAll('.message').length).to.equal(0);
    el.send('second');
    await answerDone(el);
    expect(el.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
  });

  it('fires events that bubble out of shadow roots, and clear()/stop() work from the host page', async () => {
    server = await startDevServer(['--rate', 'max']);
    const outer = document.createElement('div');
    const outerRoot = outer.attachShadow({ mode: 'open' });
    document.body.append(outer);
    const names = [
      'ai-chat-connection-change',
      'ai-chat-message-sent',
      'ai-chat-answer-start',
      'ai-chat-answer-done',
    ] as const;
    const seen: string[] = [];
    for (const name of names) document.addEventListener(name, () => seen.push(name));
    el = await mountChat(`url="${server.wsUrl}"`, { parent: outerRoot });
    try {
      await waitFor(() => seen.includes('ai-chat-connection-change'), 'connected');
      el.send('hello');
      await answerDone(el);
      expect(seen.filter((n) => n !== 'ai-chat-connection-change')).to.deep.equal([
        'ai-chat-message-sent',
        'ai-chat-answer-start',
        'ai-chat-answer-done',
      ]);
      el.stop(); // nothing streaming: harmless
      el.clear();
      expect(el.messages).to.deep.equal([]);
    } finally {
      outer.remove();
    }
  });
});
