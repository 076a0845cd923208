/**
 * The finished blocks of a MarkdownStream: each is rendered, sanitized and
 * appended once and never touched again, so its nodes keep identity and
 * selection, scroll and focus inside them survive. They are grouped into
 * sections of a few KB, which the styles mark `content-visibility: auto`
 * once full; a block too heavy to render is plain text, between sections.
 * The live block's markdown is rendered here too, with the same reference
 * links, policy and labels.
 */
import type { Lexer, Links, Token, Tokens } from 'marked';
import { tooHeavy } from './block-limits.js';
import { type CodeBlockLabels, frameCodeBlocks } from './code-block.js';
import { marked, type RenderPolicy, renderTokens } from './marked-setup.js';
import { PlainBlock } from './plain-block.js';
import { sanitizeToFragment } from './sanitize.js';

/** A section of finished blocks is closed once it holds this much markdown. */
const SECTION_CHARS = 4096;

export class Sections {
  /** Reference-link definitions seen in frozen blocks, for the blocks after them. */
  #links: Links = Object.create(null);
  /** The section finished blocks are appended to, and how much markdown it holds. */
  #section: HTMLElement | undefined;
  #sectionChars = 0;

  /**
   * `labels`: the words on code blocks' copy buttons, as they are now.
   * `closeLater`: a section or plain-text chunk is full, to be marked closed in the next frame.
   */
  constructor(
    readonly container: HTMLElement,
    private readonly policy: RenderPolicy,
    readonly labels: () => CodeBlockLabels,
    readonly closeLater: (element: HTMLElement) => void,
  ) {}

  newLexer(): Lexer {
    const lexer = new marked.Lexer(marked.defaults);
    Object.assign(lexer.tokens.links, this.#links);
    return lexer;
  }

  /** Renders a finished block once and appends it; it is never touched again. */
  freeze(token: Token): void {
    if (token.type === 'space') return;
    if (token.type === 'def') {
      // First definition wins, as in marked; only finished ones, never a URL still streaming in.
      const def = token as Tokens.Def;
      if (!(def.tag in this.#links)) this.#links[def.tag] = { href: def.href, title: def.title };
      return;
    }
    if (tooHeavy(token.raw, token.type)) {
      const block = new PlainBlock(this.closeLater);
      block.update(token.raw.replace(/\n+$/, ''));
      this.appendOutsideSections(block.root);
      return;
    }
    this.#appendToSection(this.renderBlock(token.raw, false), token.raw.length);
  }

  /** Appends a finished block to the open section, opening a new one when there is none or it is full. */
  #appendToSection(block: Node, chars: number): void {
    if (!this.#section || this.#sectionChars >= SECTION_CHARS) {
      this.endSection();
      this.#section = document.createElement('div');
      this.#section.className = 'md-section';
      this.#sectionChars = 0;
      this.container.append(this.#section);
    }
    this.#section.append(block);
    this.#sectionChars += chars;
  }

  /** Appends a plain-text block (already cheap to lay out, chunk by chunk) after the sections; the next finished block opens a new one. */
  appendOutsideSections(block: HTMLElement): void {
    this.container.append(block);
    this.endSection();
  }

  /** Ends the open section, if any (it closes in the next frame); the next finished block opens a new one. */
  endSection(): void {
    if (this.#section) this.closeLater(this.#section);
    this.#section = undefined;
  }

  /** Lexes (inline included), renders, sanitizes and frames one block's markdown. */
  renderBlock(raw: string, live: boolean): Node {
    let tokens: Token[];
    try {
      tokens = this.newLexer().lex(raw);
    } catch {
      const block = new PlainBlock(this.closeLater);
      block.update(raw.replace(/\n+$/, ''));
      return block.root;
    }
    const fragment = sanitizeToFragment(renderTokens(tokens, this.policy, live), this.policy, live);
    frameCodeBlocks(fragment, this.labels());
    return fragment;
  }
}
