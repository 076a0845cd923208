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

/** The host and its themes, and what every part shares: text, buttons, focus rings, screen-reader-only text. */
export const themeStyles = css`
  /* The host only takes space; everything visible lives in .root, which resets
     what a page's global CSS could push onto the host and inherit inward. */
  :host {
    all: initial;
    display: block;
    width: 100%;
    height: var(--ai-chat-height, 480px);
    color-scheme: light;
  }
  :host([hidden]) {
    display: none;
  }
  :host([theme='dark']) {
    ${darkPalette}
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      ${darkPalette}
    }
  }
  /*
   * Elements only, not *::before and *::after: Chromium matched those two rules for every element it
   * styled (115,435 times each in a sweep of a 200-answer log), for pseudo-elements that do not
   * exist. The few the widget draws are inline text, where box-sizing does nothing.
   */
  * {
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
