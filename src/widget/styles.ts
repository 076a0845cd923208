import { css } from 'lit';
import { markdownStyles } from './markdown/markdown-styles.js';

export const chatStyles = css`
  /* The host only takes space; everything visible lives in .root, which resets
     what a page's global CSS could push onto the host and inherit inward. */
  :host {
    all: initial;
    display: block;
    width: 100%;
    height: var(--ai-chat-height, 480px);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .root {
    all: initial;
    display: block;
    height: 100%;
    color: var(--ai-chat-color, #1f2328);
    font-family: var(--ai-chat-font-family, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--ai-chat-font-size, 15px);
    line-height: 1.5;
    overflow-wrap: anywhere;
  }
  .panel {
    display: flex;
    flex-direction: column;
    height: 100%;
    background: var(--ai-chat-background, #ffffff);
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    border-radius: var(--ai-chat-radius, 12px);
    overflow: hidden;
  }
  header {
    padding: 0.6em 1em;
    border-bottom: 1px solid var(--ai-chat-border-color, #d0d7de);
    font-weight: 600;
  }
  .log {
    flex: 1;
    overflow-y: auto;
    padding: 1em;
    display: flex;
    flex-direction: column;
    --_log-gap: 0.75em;
    gap: var(--_log-gap);
  }
  /* While following, only the end marker is a scroll anchor, so the browser keeps the bottom in view (follow-bottom-controller.ts). */
  .log.following * {
    overflow-anchor: none;
  }
  .log.following > .log-end {
    overflow-anchor: auto;
  }
  .log-end {
    flex: none;
    height: 1px;
    /* Takes no room: cancels the gap before it and its own height. */
    margin-top: calc(-1 * var(--_log-gap) - 1px);
  }
  .message {
    max-width: 100%;
  }
  .message.user {
    align-self: flex-end;
    max-width: 85%;
    background: var(--ai-chat-user-background, #0969da);
    color: var(--ai-chat-user-color, #ffffff);
    padding: 0.5em 0.8em;
    border-radius: var(--ai-chat-radius, 12px);
    white-space: pre-wrap;
  }
  .message.user.pending {
    opacity: 0.7;
  }
  .message.user.failed {
    background: var(--ai-chat-error-background, #cf222e);
  }
  .note {
    font-size: 0.85em;
    opacity: 0.8;
  }
  .notice {
    padding: 0.4rem 1rem;
    font-size: 0.85em;
    background: var(--ai-chat-notice-background, #fff8c5);
    color: var(--ai-chat-notice-color, #3b2300);
  }
  button.inline {
    padding: 0.1rem 0.6rem;
    margin-top: 0.3rem;
    font-size: 0.85em;
    border: 1px solid currentColor;
    background: transparent;
    color: inherit;
  }
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
  .status {
    padding: 0.25em 1em;
    font-size: 0.85em;
    color: var(--ai-chat-muted-color, #59636e);
  }
  .status:empty {
    display: none;
  }
  form {
    display: flex;
    gap: 0.5em;
    padding: 0.6em;
    border-top: 1px solid var(--ai-chat-border-color, #d0d7de);
  }
  textarea {
    flex: 1;
    resize: none;
    font: inherit;
    color: inherit;
    background: transparent;
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    border-radius: 8px;
    padding: 0.45em 0.6em;
    min-height: 2.4em;
    max-height: 10em;
  }
  button {
    font: inherit;
    cursor: pointer;
    border: none;
    border-radius: 8px;
    padding: 0 1em;
    background: var(--ai-chat-accent, #0969da);
    color: var(--ai-chat-accent-color, #ffffff);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  :focus-visible {
    outline: 2px solid var(--ai-chat-focus-color, #0969da);
    outline-offset: 2px;
  }
  ${markdownStyles}
`;
