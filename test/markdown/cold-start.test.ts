/**
 * The markdown engine's cold start on a page that was never idle (a reload
 * whose history comes at once): the first text rendered waits for the
 * warm-up samples left, taken within the frame budget, then renders whole.
 * This file is its own page, so nothing has rendered markdown before it.
 */
import { expect } from 'chai';
import { MarkdownStream } from '../../src/widget/markdown/markdown-stream.js';
import { warmUpPending } from '../../src/widget/markdown/warm-up.js';
import { settle } from './helpers.js';

describe('MarkdownStream on a cold page', () => {
  it('renders the warm-up samples first, then the whole text, exactly', async () => {
    expect(warmUpPending(), 'a fresh page: the engine is cold').to.equal(true);
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    const text =
      '# A heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n> quoted\n\n```js\nconst x = 1;\n```\n\nThe end.';
    stream.update(text, true);
    await settle(stream);
    expect(warmUpPending(), 'every sample rendered on the way').to.equal(false);
    expect(container.querySelector('h1')?.textContent).to.equal('A heading');
    expect(container.querySelectorAll('td').length).to.equal(2);
    expect(container.querySelectorAll('li').length).to.equal(2);
    expect(container.querySelector('blockquote')?.textContent?.trim()).to.equal('quoted');
    expect(container.querySelector('pre code')?.textContent).to.contain('const x = 1;');
    expect(container.lastElementChild?.textContent).to.contain('The end.');
    stream.dispose();
  });
});
