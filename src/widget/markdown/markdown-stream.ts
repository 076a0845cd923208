/**
 * Renders a growing markdown text into a container, cheaply: finished
 * top-level blocks are rendered, sanitized and appended once and never
 * touched again (their nodes keep identity, so selection and focus inside
 * them survive); only the last, unfinished block is re-rendered. Rendering
 * happens in the shared animation-frame loop, at most once per frame.
 */
import type { Links, Token } from 'marked';
import { cancelFrameTask, scheduleFrameTask } from '../frame-loop.js';
import { marked, renderTokens } from './marked-setup.js';
import { sanitizeToFragment } from './sanitize.js';

export class MarkdownStream {
  /** The whole text so far, line endings normalised as marked would. */
  private text = '';
  private complete = false;
  /** Length of the prefix of `text` already rendered into frozen blocks. */
  private frozenLength = 0;
  /** Reference-link definitions seen in frozen blocks, for the blocks after them. */
  private links: Links = Object.create(null);
  /** Nodes of the live (last, unfinished) block, replaced on each render. */
  private liveNodes: Node[] = [];
  private readonly renderTask = (): void => this.render();

  constructor(private readonly container: HTMLElement) {}

  /**
   * Sets the text to show. Normally `text` extends the previous one; anything
   * else (a snapshot that rewrote it) starts the rendering over.
   */
  update(text: string, complete: boolean): void {
    const normalized = text.replace(/\r\n?/g, '\n');
    if (normalized === this.text && complete === this.complete) return;
    if (!normalized.startsWith(this.text.slice(0, this.frozenLength))) this.reset();
    this.text = normalized;
    this.complete = complete;
    scheduleFrameTask(this.renderTask);
  }

  /** Stops rendering; the container keeps what it shows. */
  dispose(): void {
    cancelFrameTask(this.renderTask);
  }

  private reset(): void {
    this.container.replaceChildren();
    this.frozenLength = 0;
    this.links = Object.create(null);
    this.liveNodes = [];
  }

  private render(): void {
    const lexer = new marked.Lexer(marked.defaults);
    Object.assign(lexer.tokens.links, this.links);
    const tokens: Token[] = lexer.lex(this.text.slice(this.frozenLength));

    // Every block before the last non-blank one is finished; all are once the text is complete.
    let liveFrom = tokens.length;
    if (!this.complete) {
      liveFrom = tokens.length - 1;
      while (liveFrom > 0 && tokens[liveFrom]?.type === 'space') liveFrom--;
    }
    this.removeLive();
    for (const token of tokens.slice(0, Math.max(liveFrom, 0))) {
      this.container.append(sanitizeToFragment(renderTokens([token])));
      this.frozenLength += token.raw.length;
      // First definition wins, as in marked; only finished ones, never a URL still streaming in.
      if (token.type === 'def' && !(token.tag in this.links)) {
        this.links[token.tag] = { href: token.href, title: token.title };
      }
    }

    const live = tokens.slice(Math.max(liveFrom, 0));
    if (live.length === 0) return;
    const fragment = sanitizeToFragment(renderTokens(live));
    this.liveNodes = [...fragment.childNodes];
    this.container.append(fragment);
  }

  private removeLive(): void {
    for (const node of this.liveNodes) node.parentNode?.removeChild(node);
    this.liveNodes = [];
  }
}
