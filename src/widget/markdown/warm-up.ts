/**
 * The first markdown a page renders pays for the engine's cold start: the
 * parser's and sanitizer's code compiled and their regular expressions built,
 * 20-50 ms on a slow machine, in the frame of the first answer's first token.
 * Rendering a small sample once, while the page is idle after the widget
 * appears, moves that cost out of the answer.
 */
import { MarkdownStream } from './markdown-stream.js';

/** A heading, emphasis, code, a link, a list, a quote, a table and a highlighted code block. */
const SAMPLE = '# a\n**b** *c* `d` [e](https://a.b)\n- f\n> g\n\n|h|\n|-|\n|i|\n```js\nlet j=1//k\n```';

let warmed = false;

/** Once per page, when it is idle: renders the sample into an element that is never shown. */
export function warmUpMarkdown(): void {
  if (warmed) return;
  warmed = true;
  // WebKit has no requestIdleCallback.
  (window.requestIdleCallback ?? setTimeout)(() => {
    const stream = new MarkdownStream(document.createElement('div'));
    stream.update(SAMPLE, true);
    stream.flush();
    stream.dispose();
  });
}
