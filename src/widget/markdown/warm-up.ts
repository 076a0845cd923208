/**
 * The first markdown a page renders pays for the engine's cold start: the
 * parser's and sanitizer's code compiled and their regular expressions built,
 * 40-60 ms on a slow machine, in the frame of the first answer's first token.
 * Rendering small samples while the page is idle after the widget appears
 * moves that cost out of the answer: one sample per idle callback, so none of
 * them is a long task itself (the first, which pays the most, about 25 ms).
 */
import { MarkdownStream } from './markdown-stream.js';

/** A paragraph; emphasis, code and a link; then the blocks: a heading, a list, a quote, a table, highlighted code. */
const samples = [
  'a',
  '**b** *c* `d` [e](https://a.b)',
  '# a\n- f\n> g\n\n|h|\n|-|\n|i|\n```js\nlet j=1//k\n```',
];

/** Renders the next sample, when the page is idle, into an element that is never shown; then the next. */
export function warmUpMarkdown(): void {
  // Each sample once per page, however many widgets call this.
  const sample = samples.shift();
  if (sample === undefined) return;
  // WebKit has no requestIdleCallback.
  (window.requestIdleCallback ?? setTimeout)(() => {
    const stream = new MarkdownStream(document.createElement('div'));
    stream.update(sample, true);
    stream.flush();
    stream.dispose();
    warmUpMarkdown();
  });
}
