/** The log's messages: the welcome bubble, user messages, answers, typing dots. */
import { html, nothing, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { repeat } from 'lit/directives/repeat.js';
import type { FeedbackValue } from '../../protocol/index.js';
import type { ChatMessage } from '../chat-state.js';
import { formatString } from '../strings.js';
import type { ChatActions, ChatView } from './chat-view.js';

/** A thumb, pointing up; the "down" button turns it over (message-styles.ts). */
const thumb = html`<svg viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
  <path d="M2 10h4v11H2zm6 11V10l5-8c1.5 0 2.6 1.2 2.2 2.7L14 9h6a2 2 0 0 1 2 2.4l-1.6 7.8A2 2 0 0 1 18.4 21z" />
</svg>`;

/** A thumb button: pressed while it is the answer's verdict; pressing it again takes that back. */
function thumbButton(
  message: ChatMessage,
  value: FeedbackValue,
  label: string,
  actions: ChatActions,
): TemplateResult {
  const pressed = message.feedback === value;
  return html`<button
    type="button"
    class="ghost thumb ${value}"
    part="feedback-${value}-button"
    aria-label=${label}
    title=${label}
    aria-pressed=${pressed ? 'true' : 'false'}
    @click=${() => actions.feedback(message, pressed ? null : value)}
  >
    ${thumb}
  </button>`;
}

const typingDots = html`<div class="typing" part="typing-indicator" aria-hidden="true"><span></span><span></span><span></span></div>`;

function userMessage(message: ChatMessage, { ui }: ChatView, actions: ChatActions): TemplateResult {
  return html`<div class="message user ${message.status}" part="message user" data-key=${message.key}>
    <span class="sr-only">${ui.you}:</span>
    <span class="text">${message.text}</span>
    ${message.status === 'pending' ? html`<div class="note">${ui.pending}</div>` : nothing}
    ${
      message.queued
        ? html`<div class="note">
          ${ui.queued}
          <button type="button" class="ghost" part="cancel-queued-button" @click=${() => actions.cancelQueued(message.key)}>
            ${ui.cancelQueued}
          </button>
        </div>`
        : nothing
    }
    ${
      message.status === 'failed'
        ? html`<div class="note">
          ${formatString(ui.failed, { error: message.error ?? '' })}
          <button type="button" class="ghost" part="retry-button" @click=${() => actions.retry(message.key)}>
            ${ui.retry}
          </button>
        </div>`
        : nothing
    }
  </div>`;
}

/** The note under an answer that did not end normally. */
function finishNote(message: ChatMessage, view: ChatView): string {
  const reason = message.finishReason;
  if (reason === 'cancelled') return view.ui.cancelled;
  if (reason === 'interrupted' || reason === 'error') return message.error ?? view.ui.interrupted;
  return reason === 'length' ? view.ui.truncated : '';
}

/** The reasoning, behind a disclosure: open while the model thinks (unless closed), then "Thought for N s". */
function reasoning(
  message: ChatMessage,
  view: ChatView,
  actions: ChatActions,
): TemplateResult | typeof nothing {
  if (!message.reasoning) return nothing;
  const thinking = message.status === 'streaming' && message.text === '';
  const open = view.reasoningOpen.get(message.key) ?? thinking;
  const ms = message.thoughtMs ?? (thinking ? Date.now() - (message.thinkingSince ?? Date.now()) : undefined);
  const seconds = Math.round((ms ?? 0) / 1000);
  const label = thinking ? view.ui.thinking : ms === undefined ? view.ui.reasoning : view.ui.thought;
  return html`<div class="reasoning" part="reasoning">
    <button type="button" class="ghost" part="reasoning-toggle" aria-expanded=${open} @click=${() => actions.toggleReasoning(message.key, !open)}>
      ${formatString(label, { seconds })}
    </button>
    ${open ? html`<div class="markdown" part="reasoning-text" ${actions.reasoning(message.key)}></div>` : nothing}
  </div>`;
}

/** Only http(s) sources are links: a `javascript:` or `data:` URL is shown as text. */
const WEB_URL = /^https?:\/\//i;

/** The tool steps (their status live), and the numbered sources under the text. */
function steps(message: ChatMessage): TemplateResult | typeof nothing {
  return message.tools?.length
    ? html`<ul class="steps" part="tool-steps">${message.tools.map(
        (t) =>
          html`<li class=${t.status} part="tool-step">${t.label}${t.summary ? ` · ${t.summary}` : ''}</li>`,
      )}</ul>`
    : nothing;
}

function sources(message: ChatMessage, view: ChatView): TemplateResult | typeof nothing {
  return message.sources?.length
    ? html`<ol class="sources" part="sources" aria-label=${view.ui.sources}>${message.sources.map(
        (s) =>
          html`<li value=${s.n}>${
            WEB_URL.test(s.url)
              ? html`<a href=${s.url} target="_blank" rel="noopener noreferrer nofollow ugc" part="source-link">${s.title || s.url}</a>`
              : s.title || s.url
          }</li>`,
      )}</ol>`
    : nothing;
}

function answer(message: ChatMessage, last: boolean, view: ChatView, actions: ChatActions): TemplateResult {
  const ui = view.ui;
  const streaming = message.status === 'streaming';
  const reason = message.finishReason;
  const note = finishNote(message, view);
  return html`<div
    class="message assistant"
    part="message assistant"
    data-key=${message.key}
    aria-busy=${streaming ? 'true' : 'false'}
  >
    <span class="sr-only">${ui.assistant}:</span>
    ${reasoning(message, view, actions)}${steps(message)}
    <div class="markdown" ${actions.markdown(message.key)}></div>
    ${streaming && message.text === '' && !message.reasoning ? typingDots : nothing}
    ${sources(message, view)}
    ${note ? html`<div class="note">${note}</div>` : nothing}
    ${
      streaming
        ? nothing
        : html`<div class="actions" part="message-actions">
          <button type="button" class="ghost" part="copy-button" @click=${() => actions.copy(message)}>
            ${view.copiedKey === message.key ? ui.copied : ui.copy}
          </button>
          ${
            last || reason === 'interrupted' || reason === 'error'
              ? html`<button type="button" class="ghost" part="regenerate-button" @click=${() => actions.regenerate(message)}>
                ${ui.regenerate}
              </button>`
              : nothing
          }
          ${
            message.id && message.text
              ? [
                  thumbButton(message, 'up', ui.goodAnswer, actions),
                  thumbButton(message, 'down', ui.badAnswer, actions),
                ]
              : nothing
          }
        </div>`
    }
  </div>`;
}

export function renderMessages(view: ChatView, actions: ChatActions): TemplateResult {
  const messages = view.messages;
  const last = messages.at(-1);
  // Between sending and the answer's start frame, the dots stand alone.
  const awaitingStart = last?.role === 'user' && (last.status === 'sent' || last.status === 'done');
  return html`${
    view.welcomeMessage
      ? html`<div class="message assistant welcome" part="message assistant welcome">${view.welcomeMessage}</div>`
      : nothing
  }${keyed(
    // Lit's repeat leaves a comment behind for each item it removes (lit/lit#5010): starting the
    // list afresh for a new conversation removes the old one whole.
    view.conversationNumber,
    repeat(
      view.groups,
      (g) => g.key,
      (g) =>
        // A group being written into is never skipped, so the log's height follows it (message-styles.ts).
        html`<div class=${g.messages.some((m) => m.status === 'streaming') ? 'group' : 'group settled'}>${repeat(
          g.messages,
          (m) => m.key,
          (m) =>
            m.role === 'user'
              ? userMessage(m, view, actions)
              : answer(m, m === last && !view.answering, view, actions),
        )}</div>`,
    ),
  )}${awaitingStart ? typingDots : nothing}`;
}
