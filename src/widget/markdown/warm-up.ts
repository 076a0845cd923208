/**
 * The first markdown a page renders pays for the engine's cold start: the
 * parser's and sanitizer's code compiled and their regular expressions built,
 * 40-60 ms on a slow machine, in the frame of the first answer's first token.
 * Rendering small samples while the page is idle after the widget appears
 * moves that cost out of the answer: one sample per idle callback, so none of
 * them is a long task itself. An answer that comes before the page was idle
 * (a reload's history, at once) takes the samples left first, as many per
 * frame as the frame budget allows (markdown-stream.ts).
 */

/**
 * Samples not rendered yet on this page: a paragraph; emphasis, code and a link; then the blocks, a
 * few kinds each, so that none costs a long frame when a reload takes them in its frames (all the
 * blocks in one sample cost 40-80 ms there: README, Long conversations).
 */
const samples = [
  'a',
  '**b** *c* `d` [e](https://a.b)',
  '# a\n> g',
  '- f\n- g',
  '|h|\n|-|\n|i|',
  '```js\nlet j=1//k\n```',
];

/** Whether the cold start is still ahead: samples are left. */
export function warmUpPending(): boolean {
  return samples.length > 0;
}

/** Renders the next sample with `render` (into an element never shown); false when none was left. */
export function warmUpStep(render: (sample: string) => void): boolean {
  const sample = samples.shift();
  if (sample === undefined) return false;
  render(sample);
  return true;
}

/** Renders the samples left, one per idle callback. */
export function warmUpWhenIdle(render: (sample: string) => void): void {
  if (!warmUpPending()) return;
  // WebKit has no requestIdleCallback.
  (window.requestIdleCallback ?? setTimeout)(() => {
    if (warmUpStep(render)) warmUpWhenIdle(render);
  });
}
