/**
 * Long conversations stay as light as short ones (issue 21): a long history
 * shows its newest answer first and the older ones after it, newest to
 * oldest; finished messages off screen are skipped by the browser, yet found
 * by find-in-page; "New conversation" leaves nothing of the old one.
 */
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  currentEngine,
  itExcept,
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
import { FakeSocket, installFakeSocket, welcomeFrame } from '../helpers/fake-socket.js';

const part = (el: AiStreamChat, name: string) => shadow(el).querySelector<HTMLElement>(`[part~="${name}"]`);

/** A finished history of `turns` questions and answers, oldest first. */
function history(turns: number, answerText = (i: number) => `Answer ${i}.`): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  for (let i = 1; i <= turns; i++) {
    messages.push({ id: `u${i}`, role: 'user', text: `Question ${i}`, clientMsgId: `c${i}` });
    messages.push({
      id: `a${i}`,
      role: 'assistant',
      text: answerText(i),
      seq: 1,
      finishReason: 'stop',
      replyTo: `u${i}`,
    });
  }
  return messages;
}

/** An answer of about `bytes` of markdown: headings, paragraphs, a list, a table and code, ending with "Answer i.". */
function longAnswer(i: number, bytes: number): string {
  const blocks: string[] = [];
  let size = 0;
  for (let b = 0; size < bytes; b++) {
    const block = [
      `## Part ${b} of answer ${i}`,
      `Paragraph ${b} of answer ${i}: a line of prose with **bold**, \`code\` and a [link](https://example.com/${b}).`,
      `- item one of ${b}\n- item two of ${b}\n  - nested`,
      `| a | b |\n| --- | --- |\n| ${b} | ${i} |`,
      `\`\`\`js\nconst part = ${b}; // answer ${i}\n\`\`\``,
    ][b % 5] as string;
    blocks.push(block);
    size += block.length + 2;
  }
  blocks.push(`Answer ${i}.`);
  return blocks.join('\n\n');
}

/** Sends "One more" as turn `turn` and starts its answer streaming; returns the send frame. */
async function askOneMore(
  el: AiStreamChat,
  socket: FakeSocket,
  turn: number,
): Promise<{ clientMsgId: string }> {
  el.send('One more');
  const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
  socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: `u${turn}` });
  socket.receive({ type: 'start', messageId: `a${turn}`, replyTo: `u${turn}` });
  socket.receive({ type: 'delta', messageId: `a${turn}`, seq: 1, text: 'Streaming now.' });
  await waitFor(
    () => shadow(el).querySelector(`[data-key="a${turn}"]`)?.textContent?.includes('Streaming'),
    `a${turn}`,
  );
  return send;
}

/** The turn a message key names (user messages: c<i>, answers: a<i>). */
const turnOf = (key: string): number => Number(key.slice(1));

/** Every node in the log, comments included, as `nodeName` (a comment as "#comment"). */
function logNodes(el: AiStreamChat): string[] {
  const log = part(el, 'log') as HTMLElement;
  const names: string[] = [];
  const walker = document.createTreeWalker(log, NodeFilter.SHOW_ALL);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) names.push(node.nodeName);
  return names;
}

describe('<ai-stream-chat> in a long conversation', () => {
  let restore: () => void;

  beforeEach(() => {
    restore = installFakeSocket();
  });

  afterEach(() => {
    unmountChats();
    restore();
  });

  it('a long history shows its newest answer first, then the older ones slice by slice, newest to oldest, at the bottom', async function () {
    this.timeout(60_000); // WebKit renders slowly on a loaded machine
    const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 400px"');
    await waitFor(() => FakeSocket.sockets[0]?.sent.length, 'hello');
    const log = part(el, 'log') as HTMLElement;
    // Each batch of messages the log gained, as the turns they belong to.
    const batches: number[][] = [];
    const observer = new MutationObserver((records) => {
      // A message comes into its group, or with a new group.
      const keys = records.flatMap((r) =>
        [...r.addedNodes].flatMap((n) =>
          n instanceof HTMLElement && (n.dataset.key || n.classList.contains('group'))
            ? [n, ...n.querySelectorAll<HTMLElement>(':scope > [data-key]')].flatMap(
                (m) => m.dataset.key ?? [],
              )
            : [],
        ),
      );
      if (keys.length > 0) batches.push(keys.map(turnOf));
    });
    observer.observe(log, { childList: true, subtree: true });
    // Answers of 2.5 KB, in groups of ten messages (message-groups.ts): a slice is a group or more.
    FakeSocket.last.receive({ ...welcomeFrame(), history: history(12, (i) => longAnswer(i, 2500)) });
    await waitFor(
      () => shadow(el).querySelector('[data-key="a1"] .markdown')?.textContent?.includes('Answer 1.'),
      'the oldest answer rendered',
      50_000,
    );
    await settled(el);
    observer.disconnect();

    expect(batches[0], 'the newest question and answer first, alone').to.deep.equal([12, 12]);
    expect(batches.length, 'the rest in slices').to.be.greaterThan(2);
    for (let b = 1; b < batches.length; b++) {
      const newer = Math.min(...(batches[b - 1] as number[]));
      expect(Math.max(...(batches[b] as number[])), `slice ${b} is older than slice ${b - 1}`).to.be.at.most(
        newer,
      );
    }
    const shown = [...log.querySelectorAll<HTMLElement>('[data-key]')].map((m) => m.dataset.key);
    expect(shown, 'every message once, in order').to.deep.equal(
      history(12).map((m) => m.clientMsgId ?? m.id),
    );
    expect(log.scrollHeight - log.scrollTop - log.clientHeight, 'still at the bottom').to.be.lessThan(2);
    expect(part(el, 'jump-latest'), 'still following').to.equal(null);
  });

  itExcept(
    { webkit: 'no scroll anchoring: messages are never skipped there (see message-styles.ts)' },
    'finished messages off screen are skipped, never the streaming one, and find-in-page still finds them',
    async () => {
      const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 400px"');
      const socket = await welcomeOnFakeSocket(el, { history: history(8, (i) => longAnswer(i, 2000)) });
      await waitFor(
        () => shadow(el).querySelector('[data-key="a1"] .markdown')?.textContent?.includes('Answer 1.'),
        'the history rendered',
      );
      await askOneMore(el, socket, 9);
      await settled(el);

      const message = (key: string) => shadow(el).querySelector(`[data-key="${key}"]`) as HTMLElement;
      const style = (key: string) => getComputedStyle(message(key)).contentVisibility;
      expect(style('a1'), 'a finished answer').to.equal('auto');
      expect(style('c1'), 'a question').to.equal('auto');
      expect(style('a9'), 'the streaming answer').to.equal('visible');
      // Far above the view: skipped (not rendered) while off screen.
      const contentShown = (key: string) =>
        (message(key).querySelector('.markdown') as HTMLElement).checkVisibility({
          contentVisibilityAuto: true,
        });
      expect(contentShown('a1'), 'the oldest answer is skipped').to.equal(false);
      expect(contentShown('a8'), 'the answer on screen is not').to.equal(true);
      expect(contentShown('a9'), 'nor is the streaming one').to.equal(true);
      // Still in the log's accessibility tree and text: what find-in-page searches.
      expect(part(el, 'log')?.getAttribute('role')).to.equal('log');
      if (currentEngine() === 'chromium') {
        expect(
          (window as unknown as { find(text: string): boolean }).find('Paragraph 1 of answer 1:'),
          'find-in-page finds text in a skipped message',
        ).to.equal(true);
      }
    },
  );

  it('messages sit in groups of ten that never change: a history is grouped from its newest message back, a new answer starts the next group, and no message is rebuilt', async () => {
    const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 400px"');
    const socket = await welcomeOnFakeSocket(el, { history: history(14) });
    await waitFor(() => shadow(el).querySelector('[data-key="a1"]'), 'the oldest answer in the log');
    await settled(el);
    const log = part(el, 'log') as HTMLElement;
    const groups = () =>
      [...log.querySelectorAll<HTMLElement>(':scope > .group')].map((g) =>
        [...g.children].map((m) => (m as HTMLElement).dataset.key),
      );
    const keys = history(14).map((m) => m.clientMsgId ?? m.id);
    // In tens from the newest message back (the newest question and answer came first, the rest in whole groups).
    expect(groups()).to.deep.equal([keys.slice(0, 8), keys.slice(8, 18), keys.slice(18)]);
    const elements = new Map(
      [...log.querySelectorAll<HTMLElement>('[data-key]')].map((m) => [m.dataset.key, m]),
    );

    const send = await askOneMore(el, socket, 15);
    await settled(el);
    expect(groups()).to.deep.equal([
      keys.slice(0, 8),
      keys.slice(8, 18),
      keys.slice(18),
      [send.clientMsgId, 'a15'],
    ]);
    for (const [key, element] of elements) {
      expect(log.querySelector(`[data-key="${key}"]`), `${key} is the same element`).to.equal(element);
    }
    const visibility = () =>
      [...log.querySelectorAll(':scope > .group')].map((g) => getComputedStyle(g).contentVisibility);
    const skippable = currentEngine() === 'webkit' ? 'visible' : 'auto'; // see message-styles.ts
    expect(visibility(), 'the group being written into is never skipped').to.deep.equal([
      skippable,
      skippable,
      skippable,
      'visible',
    ]);
    socket.receive({ type: 'done', messageId: 'a15', seq: 1, finishReason: 'stop', usage: null });
    await waitFor(() => shadow(el).querySelector('[data-key="a15"] [part~="copy-button"]'), 'a15 done');
    expect(visibility()).to.deep.equal([skippable, skippable, skippable, skippable]);
  });

  itExcept(
    { webkit: 'no requestIdleCallback, and messages are never skipped there (see message-styles.ts)' },
    'once the page is idle, finished answers off screen are laid out ahead, each closed section of them, never while an answer streams, and the view stays put',
    async function () {
      this.timeout(60_000);
      // What the widget asks the browser to lay out: the elements whose geometry it reads.
      const reads = new Set<Element>();
      const read = Element.prototype.getBoundingClientRect;
      Element.prototype.getBoundingClientRect = function (this: Element) {
        reads.add(this);
        return read.call(this);
      };
      try {
        const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 400px"');
        // Eight answers of 9 KB (two closed sections each), and a ninth still streaming.
        const messages = history(9, (i) => (i < 9 ? longAnswer(i, 9000) : 'Streaming now.'));
        const socket = await welcomeOnFakeSocket(el, { history: messages, active: ['a9'] });
        await waitFor(
          () => shadow(el).querySelector('[data-key="a1"] .markdown')?.textContent?.includes('Answer 1.'),
          'the oldest answer rendered',
          50_000,
        );
        await settled(el);
        const log = part(el, 'log') as HTMLElement;
        const answer = (i: number) => log.querySelector(`[data-key="a${i}"] .markdown`) as HTMLElement;
        // Every closed section's first element, and the answer's last one.
        const toLayOut = (i: number) => [
          ...answer(i).querySelectorAll(':scope > .md-closed > :first-child'),
          answer(i).lastElementChild as Element,
        ];
        expect(toLayOut(1).length, 'the oldest answer has two closed sections').to.equal(3);
        const laidOut = (i: number) => toLayOut(i).every((e) => reads.has(e));
        const idle = () => new Promise((resolve) => requestIdleCallback(resolve));
        for (let n = 0; n < 5; n++) await idle();
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect([1, 2, 3, 4, 5, 6, 7, 8].filter(laidOut), 'none while an answer streams').to.deep.equal([]);

        socket.receive({ type: 'done', messageId: 'a9', seq: 1, finishReason: 'stop', usage: null });
        await waitFor(() => [1, 2, 3, 4, 5, 6, 7, 8].every(laidOut), 'every answer laid out ahead', 30_000);
        expect(
          [1, 2, 3, 4, 5, 6, 7, 8].map((i) => answer(i).checkVisibility({ contentVisibilityAuto: true })),
          'all but the newest still skipped: laid out, not shown',
        ).to.deep.equal([false, false, false, false, false, false, false, true]);
        await settled(el);
        expect(log.scrollHeight - log.scrollTop - log.clientHeight, 'still at the bottom').to.be.lessThan(2);
        expect(part(el, 'jump-latest'), 'still following').to.equal(null);
      } finally {
        Element.prototype.getBoundingClientRect = read;
      }
    },
  );

  it('"New conversation" leaves no node of the old conversation in the log', async () => {
    const empty = await mountChat('url="ws://fake/ws" persist="none"');
    await welcomeOnFakeSocket(empty);
    const emptyLog = logNodes(empty);
    unmountChats();
    FakeSocket.sockets = [];

    const el = await mountChat('url="ws://fake/ws" persist="none"');
    await welcomeOnFakeSocket(el, { history: history(12) });
    await waitFor(() => shadow(el).textContent?.includes('Answer 1.'), 'the oldest answer on screen');
    await settled(el);
    expect(logNodes(el).length, 'the conversation is in the log').to.be.greaterThan(emptyLog.length + 24);

    (part(el, 'new-conversation-button') as HTMLButtonElement).click();
    await waitFor(() => el.messages.length === 0, 'the conversation to be cleared');
    await settled(el);
    expect(logNodes(el)).to.deep.equal(emptyLog);
  });
});

describe('<ai-stream-chat> older history, a page at a time (PROTOCOL.md section 17)', () => {
  let server: RunningDevServer | undefined;
  let restore: (() => void) | undefined;

  afterEach(async () => {
    unmountChats();
    restore?.();
    restore = undefined;
    await stopDevServer(server);
    server = undefined;
    localStorage.clear();
  });

  it('scrolled to the top, it asks for the page before its oldest message, shows a loading row, and the view stays put when the page comes', async () => {
    restore = installFakeSocket();
    const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 300px"');
    const all = history(10, (i) => `Answer ${i}: ${'a line of the answer. '.repeat(16)}`);
    // The welcome holds turns 7 to 10; twelve older messages are left out.
    const socket = await welcomeOnFakeSocket(el, { history: all.slice(12), omitted: 12, historyPages: true });
    expect(socket.sent[0]).to.include({ type: 'hello', historyPages: true });
    await waitFor(() => shadow(el).querySelectorAll('[data-key]').length === 8, 'the welcome shown');
    await settled(el);
    expect(
      socket.sent.filter((f) => f.type === 'history'),
      'nothing asked while at the bottom',
    ).to.deep.equal([]);

    const log = part(el, 'log') as HTMLElement;
    log.scrollTop = 0;
    const request = await waitFor(() => socket.sent.find((f) => f.type === 'history'), 'a history request');
    expect(request).to.deep.equal({ type: 'history', before: 'u7' });
    const row = await waitFor(() => part(el, 'loading-older'), 'the loading row');
    expect(row.getAttribute('role')).to.equal('status');
    expect(row.textContent?.trim()).to.equal('Loading earlier messages…');
    await settled(el);
    log.scrollTop = 0;
    await settled(el);
    // Scrolling on while it loads asks nothing more.
    log.scrollTop = 1;
    await settled(el);
    expect(socket.sent.filter((f) => f.type === 'history').length).to.equal(1);
    const oldest = shadow(el).querySelector('[data-key="c7"]') as HTMLElement;
    const topBefore = oldest.getBoundingClientRect().top;

    socket.receive({ type: 'history', before: 'u7', messages: all.slice(4, 12), more: true });
    await waitFor(() => shadow(el).querySelectorAll('[data-key]').length === 16, 'the page shown');
    await settled(el);
    expect(part(el, 'loading-older'), 'the loading row is gone').to.equal(null);
    expect(
      [...log.querySelectorAll(':scope > .group')].map((g) =>
        [...g.children].map((m) => (m as HTMLElement).dataset.key),
      ),
      'the page in a group of its own, the welcome in its',
    ).to.deep.equal([all.slice(4, 12), all.slice(12)].map((page) => page.map((m) => m.clientMsgId ?? m.id)));
    expect(log.scrollTop, 'the older messages came in above').to.be.greaterThan(0);
    // WebKit (no scroll anchoring) moves the view once the older answers render: see README, Browsers tested.
    if (currentEngine() !== 'webkit')
      expect(Math.abs(oldest.getBoundingClientRect().top - topBefore), 'the view stayed put').to.be.lessThan(
        2,
      );
    expect(el.messages.map((m) => m.key)).to.deep.equal(all.slice(4).map((m) => m.clientMsgId ?? m.id));

    // The last page: then there is nothing more to ask for.
    log.scrollTop = 0;
    await waitFor(() => socket.sent.filter((f) => f.type === 'history').length === 2, 'the next request');
    expect(socket.sent.filter((f) => f.type === 'history').at(-1)).to.deep.equal({
      type: 'history',
      before: 'u3',
    });
    socket.receive({ type: 'history', before: 'u3', messages: all.slice(0, 4), more: false });
    await waitFor(() => shadow(el).querySelectorAll('[data-key]').length === 20, 'the first messages shown');
    await settled(el);
    log.scrollTop = 0;
    await settled(el);
    await settled(el);
    expect(socket.sent.filter((f) => f.type === 'history').length, 'nothing older to ask for').to.equal(2);
    expect(part(el, 'loading-older')).to.equal(null);
    expect(el.messages.map((m) => m.key)).to.deep.equal(all.map((m) => m.clientMsgId ?? m.id));
  });

  it('a page of long answers: the view stays put in every painted frame while they come in and render, without a ResizeObserver error', async function () {
    this.timeout(60_000);
    restore = installFakeSocket();
    const errors: string[] = [];
    const onError = (event: ErrorEvent) => errors.push(event.message);
    window.addEventListener('error', onError);
    try {
      const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 300px"');
      const all = history(10, (i) => longAnswer(i, 4000));
      const socket = await welcomeOnFakeSocket(el, {
        history: all.slice(12),
        omitted: 12,
        historyPages: true,
      });
      await waitFor(
        () => shadow(el).querySelector('[data-key="a7"] .markdown')?.textContent?.includes('Answer 7.'),
        'the welcome rendered',
        50_000,
      );
      await settled(el);
      const log = part(el, 'log') as HTMLElement;
      log.scrollTop = 0;
      await waitFor(() => socket.sent.find((f) => f.type === 'history'), 'a history request');
      await settled(el);
      log.scrollTop = 0;
      await settled(el);
      const oldest = shadow(el).querySelector('[data-key="c7"]') as HTMLElement;
      const topBefore = oldest.getBoundingClientRect().top;

      // Where the kept message is in each frame as painted: read after the frame's rendering.
      const moves: number[] = [];
      let watching = true;
      const channel = new MessageChannel();
      channel.port1.onmessage = () => moves.push(Math.abs(oldest.getBoundingClientRect().top - topBefore));
      const eachFrame = () => {
        channel.port2.postMessage(0);
        if (watching) requestAnimationFrame(eachFrame);
      };
      requestAnimationFrame(eachFrame);
      socket.receive({ type: 'history', before: 'u7', messages: all.slice(4, 12), more: true });
      await waitFor(
        () => shadow(el).querySelector('[data-key="a3"] .markdown')?.textContent?.includes('Answer 3.'),
        'the page rendered',
        50_000,
      );
      await settled(el);
      watching = false;
      channel.port1.close();

      expect(el.messages.map((m) => m.key)).to.deep.equal(all.slice(4).map((m) => m.clientMsgId ?? m.id));
      expect(moves.length, 'frames watched').to.be.greaterThan(2);
      // WebKit (no scroll anchoring) moves the view once the older answers render: see README, Browsers tested.
      if (currentEngine() !== 'webkit')
        expect(Math.max(...moves), 'the kept message never moved on screen').to.be.lessThan(2);
      expect(errors.filter((m) => /ResizeObserver/.test(m))).to.deep.equal([]);
    } finally {
      window.removeEventListener('error', onError);
    }
  });

  it('a page request for a message the server no longer has ends the paging and leaves that message alone', async () => {
    restore = installFakeSocket();
    const el = await mountChat('url="ws://fake/ws" persist="none" style="--ai-chat-height: 300px"');
    const all = history(10, (i) => `Answer ${i}: ${'a line of the answer. '.repeat(16)}`);
    const socket = await welcomeOnFakeSocket(el, { history: all.slice(12), omitted: 12, historyPages: true });
    await waitFor(() => shadow(el).querySelectorAll('[data-key]').length === 8, 'the welcome shown');
    await settled(el);
    const log = part(el, 'log') as HTMLElement;
    log.scrollTop = 0;
    await waitFor(() => socket.sent.find((f) => f.type === 'history'), 'a history request');
    await waitFor(() => part(el, 'loading-older'), 'the loading row');

    // The server trimmed its history past u7 (PROTOCOL.md section 17: no page, this error).
    socket.receive({
      type: 'error',
      code: 'unknown_message',
      message: 'No such message.',
      retryable: false,
      messageId: 'u7',
    });
    await waitFor(() => part(el, 'loading-older') === null, 'the loading row gone');
    await settled(el);
    expect(el.messages.find((m) => m.id === 'u7')?.error, 'no error on the message').to.equal(undefined);
    expect(part(el, 'log')?.textContent, 'no error shown').not.to.include('No such message.');
    log.scrollTop = 1;
    await settled(el);
    log.scrollTop = 0;
    await settled(el);
    await settled(el);
    expect(socket.sent.filter((f) => f.type === 'history').length, 'nothing more asked').to.equal(1);
  });

  it('against the dev server, pages back to the first message: every message once, in order', async () => {
    const TURNS = 12;
    // A welcome holds about four of the 24 messages.
    server = await startDevServer(['--rate', 'max', '--welcome-history-chars', '400']);
    localStorage.clear();
    let el = await mountChat(`url="${server.wsUrl}" persist="local" style="--ai-chat-height: 300px"`);
    for (let i = 1; i <= TURNS; i++) {
      el.send(`/echo Answer ${i}: ${'a few words of text '.repeat(3)}`);
      await answerDone(el, i);
    }
    const everything = el.messages.map((m) => [m.role, m.text]);

    // A reload: the welcome brings the newest messages only.
    unmountChats();
    el = await mountChat(`url="${server.wsUrl}" persist="local" style="--ai-chat-height: 300px"`);
    await answerDone(el);
    const log = part(el, 'log') as HTMLElement;
    expect(el.messages.length, 'the welcome left older messages out').to.be.lessThan(everything.length);
    for (let pages = 0; el.messages.length < everything.length && pages < 20; pages++) {
      const held = el.messages.length;
      await waitFor(
        () => shadow(el).querySelectorAll('[data-key]').length === held,
        'every held message shown',
      );
      await settled(el);
      log.scrollTop = 0;
      await waitFor(() => el.messages.length > held, 'the next page');
    }
    expect(el.messages.map((m) => [m.role, m.text])).to.deep.equal(everything);
  });
});
