/** The composer: a text box that grows with its text, and Send (Stop while an answer streams). */
import { html, type TemplateResult } from 'lit';
import type { ChatActions, ChatView } from './chat-view.js';

function onKeyDown(event: KeyboardEvent): void {
  // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition does neither.
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  (event.target as HTMLTextAreaElement).form?.requestSubmit();
}

/** The text box grows with its text, up to its CSS max-height, then scrolls. */
function fitInput(input: HTMLTextAreaElement): void {
  input.style.height = 'auto';
  if (input.value !== '')
    input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
}

function onInput(event: Event): void {
  fitInput(event.target as HTMLTextAreaElement);
}

function onSubmit(event: SubmitEvent, actions: ChatActions): void {
  event.preventDefault();
  // The same button is Stop while an answer streams; Enter in the text box still sends.
  if (event.submitter && actions.isAnswering()) {
    actions.stop();
    return;
  }
  const input = (event.currentTarget as HTMLFormElement).querySelector('textarea');
  if (!input) return;
  const text = input.value;
  if (text.trim() === '') return;
  input.value = '';
  fitInput(input);
  actions.send(text);
}

export function renderComposer(view: ChatView, actions: ChatActions): TemplateResult {
  const ui = view.ui;
  return html`<form part="composer" @submit=${(event: SubmitEvent) => onSubmit(event, actions)}>
    <textarea
      part="input"
      rows="1"
      enterkeyhint="send"
      aria-label=${ui.inputLabel}
      placeholder=${view.placeholder || ui.placeholder}
      @keydown=${onKeyDown}
      @input=${onInput}
    ></textarea>
    <button part=${view.answering ? 'stop-button' : 'send-button'} type="submit">
      ${view.answering ? ui.stop : ui.send}
    </button>
  </form>`;
}
