import { css } from 'lit';

/**
 * Styles of the rendered markdown that the markdown pipeline owns: code
 * blocks (label, copy button, highlight tokens), plain-text fallback blocks,
 * and the "jump to latest" control. The widget sets its own font and
 * wrapping on answers, so a host page cannot make one long word lay out for
 * seconds (measured: overflow-wrap: break-word with a system-ui font).
 */
export const markdownStyles = css`
  .markdown {
    overflow-wrap: anywhere;
    word-break: normal;
    white-space: normal;
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
  .jump-latest {
    position: absolute;
    left: 50%;
    bottom: 4.5rem;
    transform: translateX(-50%);
    padding: 0.3rem 0.9rem;
    border-radius: 999px;
    font-size: 0.85em;
    box-shadow: 0 1px 4px rgb(0 0 0 / 25%);
  }
  .panel {
    position: relative;
  }
`;
