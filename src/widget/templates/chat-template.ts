/** The whole widget: the panel (header, log, notice, status, composer), the floating launcher, the live region. */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatActions, ChatView } from './chat-view.js';
import { renderComposer } from './composer-template.js';
import { renderMessages } from './message-templates.js';
import { renderStatus } from './status-template.js';

const chatIcon = html`<svg viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
  <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
</svg>`;

function renderHeader(view: ChatView, actions: ChatActions): TemplateResult {
  const ui = view.ui;
  return html`<header part="header">
    <span class="title" part="heading">${view.heading}</span>
    <button type="button" class="ghost" part="new-conversation-button" @click=${actions.clear}>
      ${ui.newConversation}
    </button>
    ${
      view.mode === 'floating'
        ? html`<button
          type="button"
          class="ghost icon"
          part="close-button"
          aria-label=${ui.closeChat}
          @click=${actions.toggleOpen}
        >
          &times;
        </button>`
        : nothing
    }
  </header>`;
}

function onPanelKeyDown(event: KeyboardEvent, actions: ChatActions): void {
  if (event.key === 'Escape' && actions.closePanel()) event.stopPropagation();
}

function renderPanel(view: ChatView, actions: ChatActions): TemplateResult {
  return html`<section
    id="panel"
    class="panel"
    part="panel"
    role="region"
    aria-label=${view.heading || view.ui.title}
    ?hidden=${view.mode === 'floating' && !view.open}
    @keydown=${(event: KeyboardEvent) => onPanelKeyDown(event, actions)}
  >
    ${renderHeader(view, actions)}
    <div
      class=${view.following ? 'log following' : 'log'}
      part="log"
      role="log"
      aria-live="off"
      aria-label=${view.ui.messagesLabel}
      tabindex="0"
      @scroll=${actions.onLogScroll}
    >
      ${
        view.loadingOlder
          ? html`<div class="loading-older" part="loading-older" role="status">${view.ui.loadingOlder}</div>`
          : nothing
      }${renderMessages(view, actions)}<div class="log-end" aria-hidden="true"></div>
    </div>
    ${
      view.following
        ? nothing
        : html`<button class="jump-latest" part="jump-latest" type="button" @click=${actions.jumpToLatest}>
          ${view.ui.jumpToLatest}
        </button>`
    }
    ${view.notice ? html`<div class="notice" part="notice">${view.notice}</div>` : nothing}
    ${renderStatus(view, actions)} ${renderComposer(view, actions)}
  </section>`;
}

function renderLauncher(view: ChatView, actions: ChatActions): TemplateResult {
  return html`<button
    type="button"
    class="launcher"
    part="launcher"
    aria-label=${view.open ? view.ui.closeChat : view.ui.openChat}
    aria-expanded=${view.open ? 'true' : 'false'}
    aria-controls="panel"
    @click=${actions.toggleOpen}
  >
    ${chatIcon}
  </button>`;
}

export function renderChat(view: ChatView, actions: ChatActions): TemplateResult {
  // The log's own live region is off: streaming text would be read token by token.
  // Finished answers and notices are read once, from the hidden region at the end.
  return html`<div class="root" lang=${view.lang} dir=${view.dir}>
    ${renderPanel(view, actions)} ${view.mode === 'floating' ? renderLauncher(view, actions) : nothing}
    ${view.liveRegion}
  </div>`;
}
