/**
 * Hostile answers stay inert in every part (PROTOCOL.md section 16): the
 * hostile corpus streams as reasoning into the open disclosure, as tool
 * labels and summaries, as source titles and snippets, and hostile URLs
 * stream as sources. After every delta (not only at the end) nothing may have
 * run, no request may have left the page, and the widget may hold no
 * forbidden element, attribute or URL; the machinery is the markdown
 * renderer's hostile test's (test/markdown/hostile-page.ts).
 */
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  mountChat,
  settled,
  shadow,
  startAnswerOnFakeSocket,
  unmountChats,
  waitFor,
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { type FakeSocket, installFakeSocket } from '../helpers/fake-socket.js';
import { chunkEnds, frame, renderOnce } from '../markdown/helpers.js';
import { hostileAnswers, hostileUrls } from '../markdown/hostile-corpus.js';
import { expectNothingEscaped, findings, safeHref, watchForLeaks } from '../markdown/hostile-page.js';

watchForLeaks();

const part = (el: AiStreamChat, name: string) => shadow(el).querySelector<HTMLElement>(`[part~="${name}"]`);
const parts = (el: AiStreamChat, name: string) => [
  ...shadow(el).querySelectorAll<HTMLElement>(`[part~="${name}"]`),
];

/** The URLs a source may link to (PROTOCOL.md section 16). */
const isWebUrl = (url: string) => /^https?:\/\//i.test(url);

/** Elements that run, load or navigate: never anywhere in the widget (its composer is its one form). */
const NEVER = 'script, iframe, frame, object, embed, base, meta, link, audio, video, source, [srcdoc]';

/** Everything unsafe in the widget: in its rendered markdown, its steps and sources, and anywhere in its shadow root. */
function unsafe(el: AiStreamChat): string[] {
  const root = shadow(el);
  const found: string[] = [];
  for (const markdown of root.querySelectorAll('.assistant .markdown')) found.push(...findings(markdown, []));
  for (const list of [...parts(el, 'tool-steps'), ...parts(el, 'sources')])
    found.push(...findings(list, [], ['part', 'value']));
  for (const bad of root.querySelectorAll(NEVER)) found.push(`element <${bad.tagName.toLowerCase()}>`);
  for (const node of root.querySelectorAll('*')) {
    for (const attr of node.attributes) {
      if (/^on/i.test(attr.name)) found.push(`attribute ${attr.name} on <${node.tagName.toLowerCase()}>`);
      if (/href$/i.test(attr.name) && !safeHref(attr.value)) found.push(`${attr.name} ${attr.value}`);
    }
  }
  return found;
}

describe('<ai-stream-chat> hostile parts, checked after every delta', () => {
  let restore: () => void;
  let el: AiStreamChat;
  let socket: FakeSocket;
  let seq = 0;

  /** One delta of the answer, then the frame that renders it; then the widget must be safe. */
  async function delta(fields: Record<string, unknown>, what: string): Promise<void> {
    seq++;
    socket.receive({ type: 'delta', messageId: 'a1', seq, text: '', ...fields });
    await el.updateComplete;
    await frame();
    expect(unsafe(el), what).to.deep.equal([]);
  }

  beforeEach(async () => {
    restore = installFakeSocket();
    seq = 0;
    el = await mountChat('url="ws://fake/ws"');
    socket = await welcomeOnFakeSocket(el);
    await startAnswerOnFakeSocket(el, socket, 'Show me something nasty');
  });

  afterEach(() => {
    unmountChats();
    restore();
  });

  for (const [i, { name, text }] of hostileAnswers.entries()) {
    it(`as reasoning, in the open disclosure: ${name}`, async () => {
      let shown = 0;
      for (const end of chunkEnds(text, i + 1, text.length > 10_000 ? 20_000 : 12)) {
        await delta({ reasoning: text.slice(shown, end) }, `after ${end} of ${text.length} characters`);
        shown = end;
        expect(part(el, 'reasoning-toggle')?.getAttribute('aria-expanded'), 'open while thinking').to.equal(
          'true',
        );
        expect(part(el, 'reasoning-text'), 'the reasoning on screen').to.not.equal(null);
      }
      // The answer begins, ends, and the reader opens the whole reasoning again.
      await delta({ text: 'Done.' }, 'the answer began');
      socket.receive({ type: 'done', messageId: 'a1', seq, finishReason: 'stop', usage: null });
      await settled(el);
      part(el, 'reasoning-toggle')?.click();
      const whole = (await renderOnce(text)).innerHTML;
      await waitFor(() => part(el, 'reasoning-text')?.innerHTML === whole, 'the whole reasoning rendered');
      expect(unsafe(el)).to.deep.equal([]);
      expect(el.messages.at(-1)?.reasoning).to.equal(text);
      await expectNothingEscaped();
    });

    it(`as tool labels and summaries, source titles and snippets: ${name}`, async () => {
      const step = { id: 't1', name: 'search_docs', status: 'running' };
      for (const end of chunkEnds(text, i + 1, text.length > 10_000 ? 20_000 : 12)) {
        const shown = text.slice(0, end);
        await delta({ tool: { ...step, label: shown, summary: shown } }, `tool step of ${end} characters`);
        expect(part(el, 'tool-step')?.textContent, 'plain text').to.equal(`${shown} · ${shown}`);
      }
      await delta({ tool: { ...step, status: 'failed', label: text, summary: text } }, 'the step failed');
      const url = hostileUrls[i % hostileUrls.length] as string;
      await delta({ source: { n: 1, title: text, url, snippet: text } }, 'a source');
      await delta({ source: { n: 2, title: text, url: 'https://example.com/ok', snippet: text } }, 'a link');
      await delta({ text: 'See [1] and [2].' }, 'the answer');
      const items = [...(part(el, 'sources')?.querySelectorAll('li') ?? [])];
      expect(items.map((li) => li.textContent)).to.deep.equal([text, text]);
      expect(parts(el, 'source-link').map((a) => a.getAttribute('href'))).to.deep.equal(
        [url, 'https://example.com/ok'].filter(isWebUrl),
      );
      await expectNothingEscaped();
    });
  }

  it('hostile source URLs stay text: only http(s) URLs become links, and those with the safe rel', async () => {
    const links: string[] = [];
    for (const [n, url] of hostileUrls.entries()) {
      // Untitled, the URL itself is what the reader sees.
      await delta({ source: { n: n + 1, title: '', url, snippet: url } }, JSON.stringify(url));
      if (isWebUrl(url)) links.push(url);
    }
    const items = [...(part(el, 'sources')?.querySelectorAll('li') ?? [])];
    expect(items.map((li) => li.textContent)).to.deep.equal(hostileUrls);
    const anchors = parts(el, 'source-link') as HTMLAnchorElement[];
    expect(anchors.map((a) => a.getAttribute('href'))).to.deep.equal(links);
    for (const a of anchors) expect(a.rel).to.equal('noopener noreferrer nofollow ugc');
    await expectNothingEscaped();
  });

  it('a snapshot with every part hostile brings nothing unsafe', async () => {
    const corpus = hostileAnswers.filter(({ text }) => text.length < 10_000).map(({ text }) => text);
    socket.receive({
      type: 'snapshot',
      messageId: 'a1',
      seq: 5,
      text: 'The answer.',
      reasoning: corpus.join('\n\n'),
      tools: corpus.map((label, n) => ({ id: `t${n}`, name: 'x', label, status: 'done', summary: label })),
      sources: hostileUrls.map((url, n) => ({
        n: n + 1,
        title: corpus[n % corpus.length],
        url,
        snippet: url,
      })),
    });
    await settled(el);
    part(el, 'reasoning-toggle')?.click();
    const whole = (await renderOnce(corpus.join('\n\n'))).innerHTML;
    await waitFor(() => part(el, 'reasoning-text')?.innerHTML === whole, 'the whole reasoning rendered');
    expect(unsafe(el)).to.deep.equal([]);
    expect(parts(el, 'tool-step').length).to.equal(corpus.length);
    await expectNothingEscaped();
  });
});
