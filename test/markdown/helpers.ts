/** Helpers for markdown rendering tests (browser). */
import { seededRandom } from '../../src/dev-server/sources/random.js';
import { MarkdownStream, type MarkdownStreamOptions } from '../../src/widget/markdown/markdown-stream.js';

export const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => r()));

/**
 * Every MarkdownStream given text during a test is disposed after it. A test
 * that fails (or times out) mid-stream would otherwise leave its stream
 * rendering in every later frame, on the page's one frame loop, and slow or
 * fail the tests after it.
 */
const used = new Set<MarkdownStream>();
const { update, append } = MarkdownStream.prototype;
MarkdownStream.prototype.update = function (this: MarkdownStream, ...args: Parameters<typeof update>) {
  used.add(this);
  update.apply(this, args);
};
MarkdownStream.prototype.append = function (this: MarkdownStream, ...args: Parameters<typeof append>) {
  used.add(this);
  append.apply(this, args);
};
afterEach(() => {
  for (const stream of used) stream.dispose();
  used.clear();
});

/** Waits until the stream has rendered everything it was given (it may take several frames). */
export async function settle(stream: MarkdownStream): Promise<void> {
  do await frame();
  while (stream.pending);
}

/** Renders `text` in one go (complete), through the same pipeline; returns the container. */
export async function renderOnce(text: string, options?: MarkdownStreamOptions): Promise<HTMLElement> {
  const container = document.createElement('div');
  const stream = new MarkdownStream(container, options);
  stream.update(text, true);
  await settle(stream);
  stream.dispose();
  return container;
}

/** Splits `text` into random chunks (1..maxChunk characters), deterministic for a seed. */
export function chunkEnds(text: string, seed: number, maxChunk: number): number[] {
  const random = seededRandom(seed);
  const ends: number[] = [];
  let at = 0;
  while (at < text.length) {
    at = Math.min(text.length, at + 1 + Math.floor(random() * maxChunk));
    ends.push(at);
  }
  return ends;
}

/**
 * Streams `text` in random chunks, one frame after each, calling `check` after
 * every rendered chunk; returns the container once the complete text is rendered.
 */
export async function streamInChunks(
  text: string,
  seed: number,
  options: { maxChunk?: number; stream?: MarkdownStreamOptions; container?: HTMLElement } = {},
  check?: (container: HTMLElement, shown: string) => void,
): Promise<HTMLElement> {
  const container = options.container ?? document.createElement('div');
  const stream = new MarkdownStream(container, options.stream);
  for (const end of chunkEnds(text, seed, options.maxChunk ?? 40)) {
    stream.update(text.slice(0, end), false);
    await frame();
    check?.(container, text.slice(0, end));
  }
  stream.update(text, true);
  await settle(stream);
  check?.(container, text);
  stream.dispose();
  return container;
}
