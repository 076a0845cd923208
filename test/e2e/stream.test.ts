/**
 * End to end: the built bundle (dist/ai-stream-chat.js) in real Chromium,
 * talking to the real dev server binary on a free port.
 */
import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../dist/ai-stream-chat.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
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
} from '../helpers/browser.js';
import { renderOnce } from '../markdown/helpers.js';

const SEED = 3;

describe('streaming from the dev server (e2e)', () => {
  let server: RunningDevServer | undefined;
  let el: AiStreamChat;

  beforeEach(async () => {
    server = await startDevServer(['--seed', String(SEED), '--rate', '400']);
    el = await mountChat(`url="${server.wsUrl}"`);
  });

  afterEach(async () => {
    unmountChats();
    await stopDevServer(server);
  });

  it('a typed question streams back as rendered markdown equal to the source text', async () => {
    const input = shadow(el).querySelector('textarea');
    expect(input).to.exist;
    input?.focus();
    await sendKeys({ type: 'Show me an example' });
    await sendKeys({ press: 'Enter' });

    // Watch the answer grow in the DOM while it streams.
    const seenLengths = new Set<number>();
    const observer = new MutationObserver(() => {
      const md = shadow(el).querySelector('.assistant .markdown');
      if (md) seenLengths.add(md.textContent?.length ?? 0);
    });
    observer.observe(shadow(el), { subtree: true, childList: true, characterData: true });
    const answer = await answerDone(el);
    observer.disconnect();
    await settled(el);

    expect(el.messages[0]).to.include({ role: 'user', text: 'Show me an example', status: 'done' });
    const expected = mockAnswerFor('Show me an example', 0, SEED, 1);
    expect(answer.text).to.equal(expected);
    expect(answer.finishReason).to.equal('stop');
    expect(seenLengths.size, 'rendered token by token, not all at once').to.be.greaterThan(10);

    const md = shadow(el).querySelector('.assistant .markdown') as HTMLElement;
    expect(md.querySelector('pre > code'), 'code block').to.exist;
    expect(md.querySelector('ul > li'), 'list').to.exist;
    expect(md.querySelector('ol > li'), 'ordered list').to.exist;
    expect(md.querySelector('table th'), 'table').to.exist;
    expect(md.querySelector('h1'), 'heading').to.exist;
    expect(md.querySelector('a[href^="https://"]')?.getAttribute('rel')).to.equal(
      'noopener noreferrer nofollow ugc',
    );
    expect(md.innerHTML).to.equal((await renderOnce(expected)).innerHTML);
  });

  it('a hostile answer renders inert: raw HTML is text, javascript: links lose their href', async () => {
    const w = window as unknown as Record<string, unknown>;
    const hostile = [
      '<img src=x onerror="window.__pwned=1">',
      '',
      '[click](javascript:window.__pwned=2) and [also](JaVaScRiPt:window.__pwned=3)',
      '',
      '<script>window.__pwned=4</script>',
      '',
      '![beacon](https://attacker.example/leak.png)',
    ].join('\n');
    el.send(`/echo ${hostile}`);
    const answer = await answerDone(el);
    await settled(el);
    expect(answer.text).to.equal(hostile);
    const root = shadow(el);
    expect(root.querySelector('img, script, iframe, [onerror]')).to.equal(null);
    for (const a of root.querySelectorAll('a')) {
      expect(a.getAttribute('href') ?? '').not.to.match(/^\s*javascript:/i);
    }
    const md = root.querySelector('.assistant .markdown') as HTMLElement;
    expect(md.textContent).to.contain('<img src=x onerror="window.__pwned=1">');
    expect(md.textContent).to.contain('<script>');
    // Proves nothing runs: give a late onerror or script the time it would take.
    await new Promise((r) => setTimeout(r, 50));
    expect(w.__pwned).to.equal(undefined);
  });
});
