import { css } from 'lit';

/** Messages in the log: user bubbles, notes and actions under them, the welcome message, the typing dots. */
export const messageStyles = css`
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
`;
