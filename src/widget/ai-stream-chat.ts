import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ref } from 'lit/directives/ref.js';
import { repeat } from 'lit/directives/repeat.js';
import { ChatSession } from './chat-session.js';
import type { Change, ChatMessage } from './chat-state.js';
import type { ConnectionStatus } from './controllers/connection-controller.js';
import { nextFrame } from './frame-loop.js';
import { MarkdownStream, type MarkdownStreamOptions } from './markdown/markdown-stream.js';
import {
  conversationKey,
  loadConversationId,
  type PersistMode,
  parsePersistMode,
  saveConversationId,
} from './persistence.js';
import { chatStyles } from './styles.js';

/** The WebSocket URL used when the `url` attribute is absent: same origin, path `/ws`. */
export function defaultSocketUrl(base: string = location.href): string {
  const url = new URL('/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * A streaming AI chat.
 *
 * @element ai-stream-chat
 * @csspart panel - The outer frame.
 * @csspart header - The heading bar.
 * @csspart log - The scrolling message list.
 * @csspart message - Every message; also `user` or `assistant`.
 * @csspart status - The connection status line, shown only when not connected.
 * @csspart composer - The form with the text box and Send button.
 * @csspart input - The text box.
 * @csspart send-button - The Send button.
 * @csspart stop-button - The Stop button, in place of Send while an answer streams.
 * @csspart retry-button - Retry, on a message the server refused.
 * @csspart regenerate-button - Regenerate, on the last or an interrupted answer.
 * @csspart notice - A note about the conversation, e.g. that the server lost it.
 * @csspart jump-latest - The "Jump to latest" button, shown while the reader has scrolled up.
 */
export class AiStreamChat extends LitElement {
  static override styles = chatStyles;

  static override properties = {
    url: { type: String, reflect: true },
    heading: { type: String, reflect: true },
    placeholder: { type: String, reflect: true },
    persist: { type: String, reflect: true, converter: { fromAttribute: parsePersistMode } },
    conversationId: { type: String, attribute: 'conversation-id' },
    allowImages: { type: String, attribute: 'allow-images' },
    allowHtml: { type: Boolean, attribute: 'allow-html' },
    following: { state: true },
    connectionStatus: { state: true },
    statusDetail: { state: true },
    notice: { state: true },
  };

  /** WebSocket URL of the chat server. Empty: same origin, path `/ws`. */
  declare url: string;
  /** Title shown above the messages. Empty: no header. */
  declare heading: string;
  /** Placeholder of the text box. */
  declare placeholder: string;
  /** Where the conversation id is kept across reloads: `local` (default), `session` or `none`. */
  declare persist: PersistMode;
  /** A conversation to open instead of the remembered one. */
  declare conversationId: string | undefined;
  /** Space-separated origins whose images answers may show; by default none (images show as links). */
  declare allowImages: string;
  /** Render raw HTML in answers (sanitized) instead of showing it as text. */
  declare allowHtml: boolean;
  /** Whether the log follows the bottom as answers grow (false once the reader scrolls up). */
  declare protected following: boolean;
  declare protected connectionStatus: ConnectionStatus;
  declare protected statusDetail: string;
  /** A one-line explanation of something the user should know (e.g. the server lost the conversation). */
  declare protected notice: string;

  private readonly session = new ChatSession(this, {
    url: () => this.socketUrl(),
    onChange: (change) => this.onChange(change),
    onWelcome: (welcome, outcome) => {
      saveConversationId(this.persist, conversationKey(this.socketUrl()), welcome.conversationId);
      this.notice =
        outcome === 'lost'
          ? 'The server no longer has this conversation, so the model will not see the messages above. Interrupted answers can be regenerated.'
          : '';
    },
    onStatus: (status, detail) => {
      this.connectionStatus = status;
      this.statusDetail = detail;
    },
    onProtocolError: (message) => console.warn(`<ai-stream-chat>: ignored an invalid frame: ${message}`),
  });
  private readonly streams = new Map<string, MarkdownStream>();
  private readonly markdownRefs = new Map<string, (el: Element | undefined) => void>();

  constructor() {
    super();
    this.url = '';
    this.heading = '';
    this.placeholder = 'Ask anything…';
    this.persist = 'local';
    this.conversationId = undefined;
    this.allowImages = '';
    this.allowHtml = false;
    this.following = true;
    this.connectionStatus = 'idle';
    this.statusDetail = '';
    this.notice = '';
  }

  private socketUrl(): string {
    return this.url || defaultSocketUrl();
  }

  /** The messages as the widget holds them (read-only view, for host pages and tests). */
  get messages(): readonly Readonly<ChatMessage>[] {
    return this.session.state.messages;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.session.state.conversationId ??=
      this.conversationId ?? loadConversationId(this.persist, conversationKey(this.socketUrl()));
    this.session.open();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('url') && changed.get('url') !== undefined && this.isConnected) this.session.open();
  }

  /** Lit updates run in the shared animation-frame loop, like markdown rendering. */
  protected override async scheduleUpdate(): Promise<void> {
    await nextFrame();
    super.scheduleUpdate();
  }

  /** Sends `text` as a user message; it waits in the outbox while offline. */
  send(text: string): void {
    if (text.trim() !== '') this.session.send(text);
  }

  /** Stops the answer that is streaming, if any. */
  stop(): void {
    this.session.stop();
  }

  private onChange(change: Change): void {
    if (change.kind === 'text') {
      this.streams.get(change.message.key)?.update(change.message.text, false);
      return;
    }
    this.refreshStreams();
    this.requestUpdate();
  }

  private refreshStreams(): void {
    for (const message of this.session.state.messages) {
      this.streams.get(message.key)?.update(message.text, message.status !== 'streaming');
    }
  }

  /** A stable ref callback per message, which hands its element to a MarkdownStream. */
  private markdownRef(key: string): (el: Element | undefined) => void {
    let callback = this.markdownRefs.get(key);
    if (!callback) {
      callback = (el) => {
        this.streams.get(key)?.dispose();
        this.streams.delete(key);
        if (!(el instanceof HTMLElement)) return;
        const stream = new MarkdownStream(el, this.markdownOptions());
        this.streams.set(key, stream);
        const message = this.session.state.messages.find((m) => m.key === key);
        if (message) stream.update(message.text, message.status !== 'streaming');
      };
      this.markdownRefs.set(key, callback);
    }
    return callback;
  }

  /** Options of each answer's MarkdownStream, from the `allow-images` and `allow-html` attributes. */
  private markdownOptions(): MarkdownStreamOptions {
    return {
      allowHtml: this.allowHtml,
      imageOrigins: this.allowImages.split(/\s+/).filter(Boolean),
      onRender: () => this.followBottom(),
    };
  }

  /** Keeps the log scrolled to the bottom while the reader is there (runs in the frame loop). */
  private followBottom(): void {
    if (!this.following) return;
    const log = this.renderRoot.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  /** The reader scrolled: follow again only once they are back at the bottom. */
  private onLogScroll(event: Event): void {
    const log = event.currentTarget as HTMLElement;
    this.following = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  }

  private jumpToLatest(): void {
    this.following = true;
    this.followBottom();
  }

  private renderJumpToLatest(): TemplateResult | typeof nothing {
    if (this.following) return nothing;
    return html`<button class="jump-latest" part="jump-latest" type="button" @click=${this.jumpToLatest}>
      Jump to latest ↓
    </button>`;
  }

  protected override updated(): void {
    this.followBottom();
  }

  private onKeyDown(event: KeyboardEvent): void {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition does neither.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    (event.target as HTMLTextAreaElement).form?.requestSubmit();
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector('textarea');
    if (!input) return;
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    this.send(text);
  }

  private renderMessage(message: ChatMessage, isLast: boolean): TemplateResult {
    if (message.role === 'user') {
      return html`<div class="message user ${message.status}" part="message user">
        ${message.text}
        ${message.status === 'pending' ? html`<div class="note">Waiting to send…</div>` : nothing}
        ${message.queued ? html`<div class="note">Queued: answered after the current answer.</div>` : nothing}
        ${
          message.status === 'failed'
            ? html`<div class="note">
                Not sent: ${message.error}
                <button class="inline" part="retry-button" @click=${() => this.session.retry(message.key)}>Retry</button>
              </div>`
            : nothing
        }
      </div>`;
    }
    const reason = message.finishReason;
    const broken = reason === 'interrupted' || reason === 'error';
    return html`<div
      class="message assistant"
      part="message assistant"
      aria-busy=${message.status === 'streaming' ? 'true' : 'false'}
    >
      <div class="markdown" ${ref(this.markdownRef(message.key))}></div>
      ${reason === 'cancelled' ? html`<div class="note">Stopped.</div>` : nothing}
      ${reason === 'length' ? html`<div class="note">The answer reached its length limit.</div>` : nothing}
      ${broken ? html`<div class="note">${message.error ?? 'This answer was interrupted.'}</div>` : nothing}
      ${
        message.status === 'done' && (broken || isLast)
          ? html`<button class="inline" part="regenerate-button" @click=${() => this.session.regenerate(message)}>
              Regenerate
            </button>`
          : nothing
      }
    </div>`;
  }

  private statusText(): string {
    switch (this.connectionStatus) {
      case 'connecting':
        return 'Connecting…';
      case 'reconnecting':
        return 'Connection lost. Reconnecting…';
      case 'stopped':
        return `Disconnected: ${this.statusDetail}`;
      default:
        return '';
    }
  }

  protected override render(): TemplateResult {
    return html`<section class="panel" part="panel">
      ${this.heading ? html`<header part="header">${this.heading}</header>` : nothing}
      <div class="log" part="log" role="log" aria-label="Messages" @scroll=${this.onLogScroll}>
        ${repeat(
          this.session.state.messages,
          (m) => m.key,
          (m, i) => this.renderMessage(m, i === this.session.state.messages.length - 1),
        )}
      </div>
      ${this.notice ? html`<div class="notice" part="notice">${this.notice}</div>` : nothing}
      ${this.renderJumpToLatest()}
      <div class="status" part="status" role="status">${this.statusText()}</div>
      <form part="composer" @submit=${this.onSubmit}>
        <textarea
          part="input"
          rows="1"
          aria-label="Message"
          placeholder=${this.placeholder}
          @keydown=${this.onKeyDown}
        ></textarea>
        ${
          this.session.state.streamingAnswer()
            ? html`<button part="stop-button" type="button" @click=${() => this.stop()}>Stop</button>`
            : html`<button part="send-button" type="submit">Send</button>`
        }
      </form>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ai-stream-chat': AiStreamChat;
  }
}
