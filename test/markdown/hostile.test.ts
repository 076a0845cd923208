/**
 * Safe at every intermediate state: hostile answers are streamed in chunks
 * and, after every chunk (not only at the end), nothing may have executed, no
 * request may have left the page, and no forbidden element, attribute or URL
 * may exist in the rendered DOM. The test page also carries a CSP that allows
 * no network at all, and reports violations: a blocked attempt still fails.
 */
import { expect } from 'chai';
import { MarkdownStream } from '../../src/widget/markdown/markdown-stream.js';
import { chunkEnds, frame, settle } from './helpers.js';
import { hostileAnswers } from './hostile-corpus.js';
import { expectNothingEscaped, findings, watchForLeaks } from './hostile-page.js';

watchForLeaks();

async function streamHostile(text: string, seed: number, imageOrigins: string[] = []): Promise<void> {
  const container = document.createElement('div');
  document.body.append(container);
  const stream = new MarkdownStream(container, { imageOrigins });
  const maxChunk = text.length > 10_000 ? 20_000 : 12;
  try {
    for (const end of chunkEnds(text, seed, maxChunk)) {
      stream.update(text.slice(0, end), false);
      await frame();
      const bad = findings(container, imageOrigins);
      expect(bad, `after ${end} of ${text.length} characters`).to.deep.equal([]);
    }
    stream.update(text, true);
    await settle(stream);
    expect(findings(container, imageOrigins)).to.deep.equal([]);
  } finally {
    stream.dispose();
    container.remove();
  }
}

describe('hostile answers, checked after every chunk', () => {
  it('the corpus has at least 30 answers', () => {
    expect(hostileAnswers.length).to.be.at.least(30);
  });

  for (const [i, { name, text }] of hostileAnswers.entries()) {
    it(name, async () => {
      await streamHostile(text, i + 1);
      await expectNothingEscaped();
    });
  }

  it('an allowed image origin loads only complete URLs, never a truncated prefix of a streaming definition', async () => {
    const loads: string[] = [];
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n instanceof HTMLElement) {
            for (const img of [n, ...n.querySelectorAll('img')]) {
              if (img instanceof HTMLImageElement) loads.push(img.getAttribute('src') ?? '');
            }
          }
        }
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
    const url = `${location.origin}/__nothing__/cat.png`;
    await streamHostile(`![cat][c]\n\n[c]: ${url}\n\nThen ![again][c] and ![inline](${url}).\n\nEnd.`, 5, [
      location.origin,
    ]);
    observer.disconnect();
    expect(loads.length, 'images did render once their block was finished').to.be.greaterThan(0);
    for (const src of loads) expect(src).to.equal(url);
  });
});
