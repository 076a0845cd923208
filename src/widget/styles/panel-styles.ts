import { css } from 'lit';

/** The panel and its frame: floating mode and launcher, header, the log, notice, status line, Jump to latest. */
export const panelStyles = css`
  .panel {
    position: relative;
    display: flex;
    flex-direction: column;
    height: 100%;
    background: var(--ai-chat-background, #ffffff);
    border: 1px solid var(--ai-chat-border-color, #d0d7de);
    border-radius: var(--ai-chat-radius, 12px);
    overflow: hidden;
  }
  .panel[hidden] {
    display: none;
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
    border-bottom: 1px solid var(--ai-chat-border-color, #d0d7de);
    font-weight: 600;
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
  button.icon {
    width: 2.25em;
    padding: 0;
    font-size: 1.3em;
    line-height: 1;
  }

  .log {
    flex: 1;
    overflow-y: auto;
    overscroll-behavior: contain;
    padding: 1em;
  }
  /*
   * A block log, not a flex column: below 200 answers Chromium laid out a
   * streaming answer's frames in 725-822 ms as blocks, 810-902 ms as a flex
   * column (bench:render --long, three runs each). Each child is its own
   * formatting context, as a flex item was: no margin collapses into or through it.
   *
   * Messages are spaced by their top margins, so the log's scroll height ends
   * where the end marker is. (When the log was a flex column with a gap, Firefox
   * left an answer 0 px high for a frame out of the scroll height, gap and all,
   * and following stopped 11 px above the bottom.) Every child but the first,
   * written without a sibling combinator: Chromium answered each insertion into
   * the log under \`* + *\` with a restyle of everything laid out in it (eight
   * whole-log restyles in a reload of 200 answers, traced).
   */
  :is(.log, .group) > * {
    display: flow-root;
    margin-top: 0.75em;
  }
  :is(.log, .group) > :first-child {
    margin-top: 0;
  }
  /*
   * While following, only the end marker is a scroll anchor, so the browser keeps the bottom in view
   * (follow-bottom-controller.ts). The log's children are enough: none excludes an element with its
   * descendants from anchoring. Named by class: under \`.log.following *\` or \`> *\`, Chromium restyled
   * every element laid out in the log at each toggle of .following (13-90 ms for 10,000 elements,
   * against under 1 ms with classes; measured in an isolated page). Classes that hardly any element
   * deeper in the log has (.welcome, not .message): at each toggle Chromium restyles every element
   * in the log with a listed class, child of the log or not (all 402 messages of a 200-answer log,
   * traced). A new kind of child of the log belongs in this list (scroll.test.ts checks that the
   * bottom stays in view in the same frame).
   */
  .log.following > :is(.group, .welcome, .typing, .loading-older) {
    overflow-anchor: none;
  }
  .log.following > .log-end {
    overflow-anchor: auto;
  }
  .log > .log-end {
    height: 1px;
    /* Takes no room: no space before it, and its own height cancelled. */
    margin-top: 0;
    margin-bottom: -1px;
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

  .notice {
    padding: 0.4rem 1rem;
    font-size: 0.85em;
    background: var(--ai-chat-notice-background, #fff8c5);
    color: var(--ai-chat-notice-color, #3b2300);
  }
  .status {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5em;
    padding: 0.25em 1em;
    font-size: 0.85em;
    color: var(--ai-chat-muted-color, #59636e);
  }
  .status:empty {
    display: block;
    padding: 0;
  }
`;
