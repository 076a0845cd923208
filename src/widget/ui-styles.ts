import { css } from 'lit';

/**
 * Dark palette. Set on the host, so a page's own `ai-stream-chat { --ai-chat-…: … }`
 * rules (outer styles beat `:host`) still win in either theme.
 */
const darkPalette = css`
  --ai-chat-color: #e6edf3;
  --ai-chat-background: #0d1117;
  --ai-chat-border-color: #3d444d;
  --ai-chat-user-background: #1f6feb;
  --ai-chat-user-color: #ffffff;
  --ai-chat-accent: #1f6feb;
  --ai-chat-accent-color: #ffffff;
  --ai-chat-link-color: #4493f8;
  --ai-chat-code-background: #161b22;
  --ai-chat-muted-color: #9198a1;
  --ai-chat-error-background: #b62324;
  --ai-chat-focus-color: #4493f8;
  --ai-chat-code-keyword: #ff7b72;
  --ai-chat-code-string: #a5d6ff;
  --ai-chat-code-comment: #9198a1;
  --ai-chat-code-number: #79c0ff;
  --ai-chat-code-type: #ffa657;
  --ai-chat-code-tag: #7ee787;
  color-scheme: dark;
`;

/** Styles of the chat controls: themes, floating mode, buttons, status, typing indicator. */
export const uiStyles = css`
  :host {
    color-scheme: light;
  }
  :host([theme='dark']) {
    ${darkPalette}
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      ${darkPalette}
    }
  }

  /* Floating mode: a launcher button in the corner opens the panel above it. */
  :host([mode='floating']) {
    height: 0;
  }
  :host([mode='floating']) .root {
    position: fixed;
    inset-block-end: var(--ai-chat-offset, 16px);
    inset-inline-end: var(--ai-chat-offset, 16px);
    z-index: var(--ai-chat-z-index, 2147483000);
    height: auto;
    display: flex;
    flex-direction: column;
    align-items: flex-end;
    gap: 0.75em;
  }
  :host([mode='floating']) .panel {
    width: min(var(--ai-chat-width, 360px), calc(100vw - 2 * var(--ai-chat-offset, 16px)));
    height: min(var(--ai-chat-height, 480px), calc(100dvh - 96px));
    box-shadow: 0 8px 28px rgb(0 0 0 / 0.25);
  }
  .panel[hidden] {
    display: none;
  }
  .launcher {
    width: 3.5em;
    height: 3.5em;
    padding: 0;
    border-radius: 50%;
    display: grid;
    place-items: center;
    box-shadow: 0 4px 14px rgb(0 0 0 / 0.3);
  }
  .launcher svg {
    width: 1.6em;
    height: 1.6em;
  }

  header {
    display: flex;
    align-items: center;
    gap: 0.5em;
    min-height: 2.75em;
    padding: 0.3em 0.4em 0.3em 1em;
    padding-inline: 1em 0.4em;
  }
  .title {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  /* Secondary buttons: header, message actions, retry, reconnect. */
  button.ghost {
    background: transparent;
    color: inherit;
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    padding: 0.15em 0.6em;
    min-height: 2em;
    font-size: 0.85em;
    font-weight: 400;
  }
  button.ghost:hover {
    background: var(--ai-chat-code-background, #f6f8fa);
  }
  .user button.ghost {
    border-color: currentColor;
  }
  .user button.ghost:hover {
    background: rgb(255 255 255 / 0.15);
  }
  button.icon {
    width: 2.25em;
    padding: 0;
    font-size: 1.3em;
    line-height: 1;
  }

  .log {
    overscroll-behavior: contain;
  }
  .message.user {
    white-space: normal;
  }
  .message.user .text {
    white-space: pre-wrap;
  }
  .message.user.pending {
    opacity: 1;
    outline: 2px dashed var(--ai-chat-user-background, #0969da);
    outline-offset: 2px;
  }
  .note {
    opacity: 1;
    margin-top: 0.25em;
  }
  .assistant > .note {
    color: var(--ai-chat-muted-color, #59636e);
  }
  .note button {
    margin-inline-start: 0.4em;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4em;
    margin-top: 0.4em;
  }
  .welcome {
    white-space: pre-wrap;
  }

  /* Three dots until the first token arrives. */
  .typing {
    display: inline-flex;
    gap: 0.3em;
    padding: 0.5em 0;
  }
  .typing span {
    width: 0.45em;
    height: 0.45em;
    border-radius: 50%;
    background: var(--ai-chat-muted-color, #59636e);
    animation: ai-chat-blink 1.2s infinite ease-in-out both;
  }
  .typing span:nth-child(2) {
    animation-delay: 0.2s;
  }
  .typing span:nth-child(3) {
    animation-delay: 0.4s;
  }
  @keyframes ai-chat-blink {
    0%,
    80%,
    100% {
      opacity: 0.25;
    }
    40% {
      opacity: 1;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .typing span {
      animation: none;
      opacity: 0.6;
    }
  }

  .status {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5em;
  }
  .status:empty {
    display: block;
    padding: 0;
  }

  textarea {
    border-color: var(--ai-chat-muted-color, #59636e);
    overflow-y: auto;
  }
  form button[type='submit'] {
    min-width: 4.5em;
    min-height: 2.4em;
    align-self: flex-end;
  }

  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
`;
