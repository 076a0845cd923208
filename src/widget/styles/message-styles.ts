import { css } from 'lit';

/** Messages in the log: user bubbles, notes and actions under them, the welcome message, the typing dots. */
export const messageStyles = css`
  .message {
    max-width: 100%;
    /* The size a skipped message keeps: the last one it was laid out at, else a guess. */
    contain-intrinsic-size: auto 12em auto 3em;
  }
  .message.assistant {
    contain-intrinsic-block-size: auto 30em;
  }
  /* A group's guess: half questions, half answers (message-groups.ts). */
  .group {
    contain-intrinsic-block-size: auto 165em;
  }
  /*
   * A finished message leaves style, layout and paint while off screen, so a
   * long log costs each frame what a short one does; so does a group of them
   * that no answer is being written into (message-groups.ts). Only where the browser
   * anchors scrolling: a message laid out for the first time when scrolled to
   * changes from its guessed size to its own, and anchoring keeps what the
   * reader sees in place (without it, Safari, the view would jump).
   * Containment clips what overflows a message, so answers and groups get 4 px of
   * padding for focus rings, taken back by their margins (only here: in
   * WebKit those margins made the log scroll sideways at 320 px).
   */
  @supports (overflow-anchor: auto) {
    .message:not([aria-busy='true']),
    .settled {
      content-visibility: auto;
    }
    :is(.log, .group) > :is(.assistant, .group) {
      max-width: calc(100% + 8px);
      padding: 4px;
      margin: calc(0.75em - 4px) -4px -4px;
    }
    :is(.log, .group) > :is(.assistant, .group):first-child {
      margin-top: -4px;
    }
    /* Not -4px: the sticky loading row's negative margin would take the place of it (margins collapse). */
    .log > :is(.loading-older + .group, .group:first-child) {
      margin-top: 0;
    }
  }
  .message.user {
    width: fit-content;
    margin-inline-start: auto;
    max-width: 85%;
    background: var(--ai-chat-user-background, #0969da);
    color: var(--ai-chat-user-color, #ffffff);
    padding: 0.5em 0.8em;
    border-radius: var(--ai-chat-radius, 12px);
  }
  .message.user .text {
    white-space: pre-wrap;
  }
  .message.user.pending {
    outline: 2px dashed var(--ai-chat-user-background, #0969da);
    outline-offset: 2px;
  }
  .message.user.failed {
    background: var(--ai-chat-error-background, #cf222e);
  }
  .user button.ghost {
    border-color: currentColor;
  }
  .user button.ghost:hover {
    background: rgb(255 255 255 / 0.15);
  }
  .note {
    font-size: 0.85em;
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
  /* The thumbs: a chosen one is filled (--ai-chat-feedback-color, default the accent). */
  .thumb svg {
    width: 1.2em;
    height: 1.2em;
    vertical-align: middle;
  }
  .down svg {
    transform: rotate(180deg);
  }
  .thumb[aria-pressed='true'] {
    background: var(--ai-chat-feedback-color, var(--ai-chat-accent, #0969da));
    color: var(--ai-chat-accent-color, #ffffff);
  }
  .welcome {
    white-space: pre-wrap;
  }
  /* Over the top of the log, taking no room: the messages the reader sees do not move. */
  .loading-older {
    position: sticky;
    top: 0;
    z-index: 1;
    width: fit-content;
    height: 2em;
    line-height: 2em;
    margin: 0 auto -2em;
    padding: 0 0.8em;
    border-radius: 1em;
    font-size: 0.85em;
    color: var(--ai-chat-muted-color, #59636e);
    background: var(--ai-chat-background, #ffffff);
  }
  .log > .loading-older + * {
    margin-top: 0;
  }
  .reasoning > .markdown {
    color: var(--ai-chat-muted-color, #59636e);
    border-inline-start: 2px solid var(--ai-chat-border-color, #d1d9e0);
    padding-inline-start: 0.6em;
    margin: 0.3em 0;
  }
  .steps,
  .sources {
    font-size: 0.85em;
    color: var(--ai-chat-muted-color, #59636e);
    margin: 0.3em 0;
    padding-inline-start: 1.4em;
  }
  .steps {
    list-style: none;
    padding: 0;
  }
  .sources a {
    color: var(--ai-chat-link-color, #0969da);
  }
  .steps .running::before {
    content: "\\2026\\a0";
  }
  .steps .done::before {
    content: "\\2713\\a0";
  }
  .steps .failed::before {
    content: "\\2717\\a0";
  }


  /* Three dots until the first token arrives. */
  .typing {
    display: inline-flex;
    gap: 0.3em;
    padding: 0.5em 0;
  }
  .log > .typing {
    display: flex;
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
`;
