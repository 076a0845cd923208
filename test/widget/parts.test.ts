/**
 * The parts of an answer on screen (PROTOCOL.md section 16): the model's
 * reasoning behind a disclosure that reads "Thinking… N s" while it thinks
 * and "Thought for N s" once the answer begins, tool steps whose status
 * changes live, and numbered sources under the answer. Copy, the finished
 * answer's announcement and `ai-chat-answer-done` keep the answer text
 * apart from the reasoning.
 */
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import type { AnswerDoneDetail } from '../../src/widget/events.js';
import {
  answerDone,
  mountChat,
  type RunningDevServer,
  settled,
  shadow,
  startAnswerOnFakeSocket,
  startDevServer,
  stopDevServer,
  unmountChats,
  waitFor,
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { type FakeSocket, installFakeSocket } from '../helpers/fake-socket.js';

const part = (el: AiStreamChat, name: string) => shadow(el).querySelector<HTMLElement>(`[part~="${name}"]`);
const parts = (el: AiStreamChat, name: string) => [
  ...shadow(el).querySelectorAll<HTMLElement>(`[part~="${name}"]`),
];

const searching = { id: 't1', name: 'search_docs', label: 'Searching the docs', status: 'running' as const };

describe('<ai-stream-chat> the parts of an answer', () => {
  let restore: () => void;
  let el: AiStreamChat;
  let socket: FakeSocket;
  let seq = 0;

  function delta(fields: Record<string, unknown>): void {
    seq++;
    socket.receive({ type: 'delta', messageId: 'a1', seq, text: '', ...fields });
  }

  beforeEach(async () => {
    restore = installFakeSocket();
    seq = 0;
    el = await mountChat('url="ws://fake/ws"');
    socket = await welcomeOnFakeSocket(el);
    await startAnswerOnFakeSocket(el, socket, 'How do I resume a stream?');
  });

  afterEach(() => {
    unmountChats();
    restore();
  });

  it('asks the server for parts in its hello', () => {
    expect(socket.sent.find((f) => f.type === 'hello')).to.include({ parts: true });
  });

  it('shows the reasoning as it streams, open, then closes it to "Thought for N s" when the answer begins', async () => {
    delta({ reasoning: 'The user wants **resume**' });
    await settled(el);
    const toggle = await waitFor(() => part(el, 'reasoning-toggle'), 'the reasoning disclosure');
    expect(toggle.tagName).to.equal('BUTTON');
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
    expect(toggle.textContent?.trim()).to.match(/^Thinking… \d+ s$/);
    expect(part(el, 'typing-indicator'), 'the reasoning replaces the dots').to.equal(null);
    await waitFor(() => part(el, 'reasoning-text')?.querySelector('strong'), 'the reasoning as markdown');
    delta({ reasoning: ', exactly once.' });
    await waitFor(
      () => part(el, 'reasoning-text')?.textContent?.includes('exactly once.'),
      'the next reasoning on screen',
    );

    delta({ text: 'Send the last `seq`.' });
    await waitFor(() => part(el, 'reasoning-toggle')?.getAttribute('aria-expanded') === 'false', 'closed');
    await settled(el);
    expect(part(el, 'reasoning-toggle')?.textContent?.trim()).to.match(/^Thought for \d+ s$/);
    expect(part(el, 'reasoning-text'), 'closed: its text leaves the page').to.equal(null);
    const answerText = shadow(el).querySelector('.assistant > .markdown')?.textContent ?? '';
    expect(answerText).to.contain('Send the last');
    expect(answerText).not.to.contain('The user wants');

    // Reopened by the reader: the whole reasoning, rendered again, and it stays open.
    part(el, 'reasoning-toggle')?.click();
    await waitFor(() => part(el, 'reasoning-text')?.textContent?.includes('exactly once.'), 'reopened');
    expect(part(el, 'reasoning-toggle')?.getAttribute('aria-expanded')).to.equal('true');
    expect(part(el, 'reasoning-text')?.textContent).to.contain('The user wants resume, exactly once.');
    delta({ text: ' Then wait.' });
    await settled(el);
    expect(part(el, 'reasoning-toggle')?.getAttribute('aria-expanded')).to.equal('true');
  });

  it('the first reasoning comes on screen with its disclosure, not a frame after it', async () => {
    const seen: (string | undefined)[] = [];
    const observer = new MutationObserver(() => {
      if (part(el, 'reasoning-toggle') && seen.length === 0)
        seen.push(part(el, 'reasoning-text')?.textContent?.trim());
    });
    observer.observe(shadow(el), { subtree: true, childList: true, characterData: true });
    delta({ reasoning: 'First thought.' });
    await waitFor(() => seen.length > 0, 'the reasoning disclosure');
    observer.disconnect();
    expect(seen).to.deep.equal(['First thought.']);
  });

  it('counts the seconds while the model thinks', async () => {
    delta({ reasoning: 'Hmm.' });
    await waitFor(() => part(el, 'reasoning-toggle'), 'the reasoning disclosure');
    await waitFor(
      () => /^Thinking… [1-9]\d* s$/.test(part(el, 'reasoning-toggle')?.textContent?.trim() ?? ''),
      'a second counted',
      5_000,
    );
  });

  it('lists tool steps, their status changing live, and numbered sources; only web URLs are links', async () => {
    delta({ tool: searching });
    await waitFor(() => part(el, 'tool-step'), 'the tool step');
    expect(part(el, 'tool-step')?.className).to.contain('running');
    expect(part(el, 'tool-step')?.textContent?.trim()).to.equal('Searching the docs');
    delta({ tool: { ...searching, status: 'done', summary: 'Found 2 pages' } });
    await waitFor(() => part(el, 'tool-step')?.className.includes('done'), 'the step done');
    expect(parts(el, 'tool-step').map((s) => s.textContent?.trim())).to.deep.equal([
      'Searching the docs · Found 2 pages',
    ]);
    delta({ tool: { id: 't2', name: 'fetch', label: 'Reading a page', status: 'failed' } });
    await waitFor(() => parts(el, 'tool-step').length === 2, 'a second step');
    expect(parts(el, 'tool-step')[1]?.className).to.contain('failed');

    delta({ source: { n: 1, title: 'RFC 6455', url: 'https://www.rfc-editor.org/rfc/rfc6455' } });
    delta({ source: { n: 2, title: 'Not a link', url: 'javascript:alert(1)' } });
    delta({ text: 'Resume from the last seq [1].' });
    await waitFor(() => part(el, 'sources')?.querySelectorAll('li').length === 2, 'two sources');
    const list = part(el, 'sources') as HTMLOListElement;
    expect(list.tagName).to.equal('OL');
    expect(list.getAttribute('aria-label')).to.equal('Sources');
    expect([...list.querySelectorAll('li')].map((li) => li.value)).to.deep.equal([1, 2]);
    const links = parts(el, 'source-link') as HTMLAnchorElement[];
    expect(links.map((a) => [a.href, a.textContent, a.rel])).to.deep.equal([
      ['https://www.rfc-editor.org/rfc/rfc6455', 'RFC 6455', 'noopener noreferrer nofollow ugc'],
    ]);
    expect(list.querySelectorAll('li')[1]?.textContent?.trim()).to.equal('Not a link');
    expect(list.querySelector('[href^="javascript"]')).to.equal(null);
    // Sources come after the answer's text.
    const answerText = shadow(el).querySelector('.assistant > .markdown') as HTMLElement;
    expect(answerText.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING).to.not.equal(0);
  });

  it('Copy copies the answer alone; the announcement and ai-chat-answer-done keep the reasoning apart', async () => {
    const done: AnswerDoneDetail[] = [];
    el.addEventListener('ai-chat-answer-done', (e) => done.push((e as CustomEvent<AnswerDoneDetail>).detail));
    const live = shadow(el).querySelector('[aria-live="polite"]') as HTMLElement;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(live.textContent?.trim() ?? ''));
    observer.observe(live, { subtree: true, childList: true, characterData: true });

    delta({ reasoning: 'Secret thoughts.' });
    delta({ tool: { ...searching, status: 'done' } });
    delta({ source: { n: 1, title: 'RFC 6455', url: 'https://www.rfc-editor.org/rfc/rfc6455' } });
    delta({ text: 'The **answer**.' });
    socket.receive({ type: 'done', messageId: 'a1', seq, finishReason: 'stop', usage: null });
    await waitFor(() => heard.some((t) => t !== ''), 'an announcement');
    await settled(el);
    observer.disconnect();
    expect(heard.filter((t) => t !== '')).to.deep.equal(['Answer: The answer.']);
    expect(done).to.deep.equal([
      {
        messageId: 'a1',
        text: 'The **answer**.',
        finishReason: 'stop',
        usage: null,
        reasoning: 'Secret thoughts.',
        tools: [{ ...searching, status: 'done' }],
        sources: [{ n: 1, title: 'RFC 6455', url: 'https://www.rfc-editor.org/rfc/rfc6455' }],
      },
    ]);

    const copied: string[] = [];
    const clipboard = navigator.clipboard;
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (text: string) => void copied.push(text) },
    });
    try {
      part(el, 'copy-button')?.click();
      await waitFor(() => copied.length > 0, 'the copy');
    } finally {
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: clipboard });
    }
    expect(copied).to.deep.equal(['The **answer**.']);
  });

  it('a snapshot brings every part at once', async () => {
    delta({ reasoning: 'Old' });
    await waitFor(() => part(el, 'reasoning-toggle'), 'the reasoning');
    socket.receive({
      type: 'snapshot',
      messageId: 'a1',
      seq: 5,
      text: 'Send it [1].',
      reasoning: 'Thinking it over.',
      tools: [{ ...searching, status: 'done' }],
      sources: [{ n: 1, title: 'RFC 6455', url: 'https://www.rfc-editor.org/rfc/rfc6455' }],
    });
    await waitFor(() => part(el, 'source-link'), 'the source');
    expect(part(el, 'tool-step')?.className).to.contain('done');
    part(el, 'reasoning-toggle')?.click();
    await waitFor(() => part(el, 'reasoning-text')?.textContent?.includes('Thinking it over.'), 'reasoning');
    expect(part(el, 'reasoning-text')?.textContent).not.to.contain('Old');
  });
});

describe('<ai-stream-chat> parts from the dev server (--mock-parts)', () => {
  let server: RunningDevServer | undefined;

  afterEach(async () => {
    unmountChats();
    await stopDevServer(server);
    server = undefined;
    localStorage.clear();
  });

  it('a reload in the middle of the reasoning continues live: every part exactly once', async () => {
    server = await startDevServer(['--mock-parts', '--rate', '40']);
    localStorage.clear();
    let el = await mountChat(`url="${server.wsUrl}" persist="local"`);
    el.send('Tell me about resuming');
    await waitFor(() => (el.messages.at(-1)?.reasoning?.length ?? 0) > 20, 'some reasoning');
    const before = el.messages.at(-1)?.reasoning ?? '';
    expect(el.messages.at(-1)?.text, 'still thinking').to.equal('');
    // The page reloads: a new element on the same stored conversation.
    unmountChats();
    el = await mountChat(`url="${server.wsUrl}" persist="local"`);
    const answer = await answerDone(el);
    expect(answer.reasoning?.startsWith(before), 'the reasoning it had, continued').to.equal(true);
    expect(answer.tools?.map((t) => t.status)).to.deep.equal(['done']);
    expect(answer.sources?.map((s) => s.n)).to.deep.equal([1, 2]);

    // A fresh page on the same conversation gets the same parts from the history: nothing doubled.
    const first = {
      text: answer.text,
      reasoning: answer.reasoning,
      tools: answer.tools,
      sources: answer.sources,
    };
    unmountChats();
    el = await mountChat(`url="${server.wsUrl}" persist="local"`);
    const again = await answerDone(el);
    expect({
      text: again.text,
      reasoning: again.reasoning,
      tools: again.tools,
      sources: again.sources,
    }).to.deep.equal(first);
    await settled(el);
    expect(part(el, 'reasoning-toggle')?.textContent?.trim(), 'timing not seen here').to.equal('Reasoning');
    expect(parts(el, 'source-link').length).to.equal(2);
  });
});
