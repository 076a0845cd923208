import { css } from 'lit';

/**
 * Styles of the rendered markdown: its blocks (code, tables, quotes, links),
 * the sections and plain-text fallback blocks of the streaming renderer, code
 * blocks' label, copy button and highlight tokens. The widget sets its own
 * font and wrapping on answers, so a host page cannot make one long word lay
 * out for seconds (measured: overflow-wrap: break-word with a system-ui font).
 */
export const markdownStyles = css`
  .markdown > :first-child {
    margin-top: 0;
  }
  .markdown > :last-child {
    margin-bottom: 0;
  }
  .markdown pre {
    background: var(--ai-chat-code-background, #f6f8fa);
    padding: 0.75rem;
    border-radius: 8px;
    overflow-x: auto;
    white-space: pre;
    overflow-wrap: normal;
  }
  .markdown code {
    font-family: var(--ai-chat-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
    font-size: 0.9em;
  }
  .markdown table {
    border-collapse: collapse;
    display: block;
    overflow-x: auto;
  }
  .markdown th,
  .markdown td {
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    padding: 0.25rem 0.6rem;
  }
  .markdown a {
    color: var(--ai-chat-link-color, #0969da);
  }
  .markdown blockquote {
    margin: 0.5rem 0;
    padding-left: 0.8rem;
    border-left: 3px solid var(--ai-chat-border-color, #d0d7de);
  }
  .markdown {
    overflow-wrap: anywhere;
    word-break: normal;
    white-space: normal;
  }
  /*
   * Full sections of finished blocks, and full chunks of plain-text blocks
   * (md-closed), skip style, layout and paint while off screen: a frame late
   * in a long answer costs what one at its start does. The browser remembers
   * the size each had while open (contain-intrinsic-size: auto), so skipping
   * one changes no height and the scroll height stays true. For that, a
   * section's size must not change when it closes: containment makes it its
   * own formatting context, where its children's outer margins would no
   * longer collapse through it, so it has none; the section's own margin
   * spaces it from the next block. The inline padding leaves room for focus
   * rings, which paint containment would clip.
   */
  .markdown > .md-section {
    padding-inline: 4px;
    margin-inline: -4px;
    margin-block: 0 1em;
  }
  .markdown > .md-section:last-child {
    margin-bottom: 0;
  }
  .markdown > .md-section > :first-child {
    margin-top: 0;
  }
  .markdown > .md-section > :last-child {
    margin-bottom: 0;
  }
  .markdown > .md-section,
  .markdown .md-plain > span {
    contain-intrinsic-size: auto 300px;
  }
  .markdown > .md-section.md-closed,
  .markdown .md-plain > span.md-closed {
    content-visibility: auto;
  }
  .markdown .md-code {
    margin: 0.6rem 0;
    border-radius: 8px;
    background: var(--ai-chat-code-background, #f6f8fa);
  }
  .markdown .md-code-bar {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 0.2rem 0.5rem 0 0.75rem;
    font-size: 0.8em;
    color: var(--ai-chat-muted-color, #59636e);
  }
  .markdown .md-copy {
    font: inherit;
    padding: 0.1rem 0.5rem;
    border-radius: 6px;
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    background: transparent;
    color: inherit;
    cursor: pointer;
  }
  .markdown .md-code pre {
    margin: 0;
    background: transparent;
  }
  .markdown .md-plain {
    white-space: pre-wrap;
    word-break: break-all;
    margin: 0.5rem 0;
  }
  .markdown .md-plain > span {
    display: block;
  }
  .markdown .tok-keyword {
    color: var(--ai-chat-code-keyword, #cf222e);
  }
  .markdown .tok-string {
    color: var(--ai-chat-code-string, #0a3069);
  }
  .markdown .tok-comment {
    color: var(--ai-chat-code-comment, #59636e);
    font-style: italic;
  }
  .markdown .tok-number,
  .markdown .tok-literal {
    color: var(--ai-chat-code-number, #0550ae);
  }
  .markdown .tok-type,
  .markdown .tok-variable {
    color: var(--ai-chat-code-type, #953800);
  }
  .markdown .tok-property,
  .markdown .tok-tag {
    color: var(--ai-chat-code-tag, #116329);
  }
  .markdown img {
    max-width: 100%;
  }
`;
