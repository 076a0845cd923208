import { css } from 'lit';

/** The composer: the text box and the Send (or Stop) button. */
export const composerStyles = css`
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
    border: 1px solid var(--ai-chat-muted-color, #59636e);
    border-radius: 8px;
    padding: 0.45em 0.6em;
    min-height: 2.4em;
    max-height: 10em;
    overflow-y: auto;
  }
  form button[type='submit'] {
    min-width: 4.5em;
    min-height: 2.4em;
    align-self: flex-end;
  }
`;
