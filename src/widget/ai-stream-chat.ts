import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { ref } from 'lit/directives/ref.js';
import { repeat } from 'lit/directives/repeat.js';
import * as v from 'valibot';
import {
  CloseCode,
  type MessageParams,
  MessageParamsSchema,
  type ServerFrame,
  type WelcomeFrame,
} from '../protocol/index.js';
import { ChatSession } from './chat-session.js';
import type { Change, ChatMessage, ChatState, WelcomeOutcome } from './chat-state.js';
import type { ConnectionStatus } from './controllers/connection-controller.js';
import { FollowBottomController } from './controllers/follow-bottom-controller.js';
import { emit, type ShownConnectionStatus } from './events.js';
import { nextFrame } from './frame-loop.js';
import { MarkdownStream, type MarkdownStreamOptions } from './markdown/markdown-stream.js';
import { markdownStyles } from './markdown/markdown-styles.js';
import { conversationKey, loadItem, parsePersistMode, saveItem, sessionKey } from './persistence.js';
import { SessionTokens } from './session-tokens.js';
import { type ChatStrings, formatString, isRtlLanguage, resolveStrings } from './strings.js';
import { composerStyles } from './styles/composer-styles.js';
import { messageStyles } from './styles/message-styles.js';
import { panelStyles } from './styles/panel-styles.js';
import { themeStyles } from './styles/theme-styles.js';

export type ChatTheme = 'light' | 'dark' | 'auto';
export type ChatMode = 'inline' | 'floating';
export type ChatPersist = 'local' | 'session' | 'none';

/** Longest answer text read out when an answer finishes; the rest stays in the log. */
const MAX_ANNOUNCED = 4000;

/** The WebSocket URL used when the `url` attribute is absent: same origin, path `/ws`. */
export function defaultSocketUrl(base: string = location.href): string {
  const url = new URL('/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** Attribute converter for JSON-object attributes (`params`, `strings`); anything else is ignored with a warning. */
function jsonObjectAttribute<T extends object>(name: string, check: (value: object) => value is T) {
  return {
    fromAttribute(value: string | null): T | Record<string, never> {
      if (value === null || value.trim() === '') return {};
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && check(parsed))
          return parsed;
      } catch {
        // reported below
      }
      console.warn(`<ai-stream-chat>: ignored the ${name} attribute: it is not a valid JSON object`);
      return {};
    },
    toAttribute(value: unknown): string {
      return JSON.stringify(value);
    },
  };
}

const isParams = (value: object): value is MessageParams => v.is(MessageParamsSchema, value);
const isObject = (value: object): value is Partial<ChatStrings> => value !== null;

const chatIcon = html`<svg viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
  <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
</svg>`;

/**
 * A streaming AI chat.
 *
 * @element ai-stream-chat
 *
 * @fires ai-chat-message-sent - The user (or `send()`) sent a message. Detail: `{ clientMsgId, text, params }`.
 * @fires ai-chat-answer-start - An answer started streaming. Detail: `{ messageId, replyTo }`.
 * @fires ai-chat-answer-done - An answer finished. Detail: `{ messageId, text, finishReason, usage }`.
 * @fires ai-chat-error - The server reported an error. Detail: `{ code, message, retryable, messageId?, clientMsgId? }`.
 * @fires ai-chat-connection-change - The connection status changed. Detail: `{ status, detail }`.
 *
 * @csspart panel - The chat panel (in floating mode, the panel the launcher opens).
 * @csspart header - The bar above the messages.
 * @csspart heading - The heading text in the header.
 * @csspart new-conversation-button - Starts a new conversation.
 * @csspart close-button - Closes the floating panel.
 * @csspart launcher - The round button of floating mode.
 * @csspart log - The scrolling message list.
 * @csspart message - Every message; also `user` or `assistant`, and `welcome` for the welcome message.
 * @csspart message-actions - The row of buttons under a finished answer.
 * @csspart copy-button - Copies an answer's text.
 * @csspart regenerate-button - Asks again, on the last answer and on interrupted ones.
 * @csspart retry-button - Sends a failed message again.
 * @csspart notice - A note about the conversation, e.g. that the server no longer has it.
 * @csspart jump-latest - The "Jump to latest" button, shown while the reader has scrolled up.
 * @csspart typing-indicator - The dots shown until an answer's first token.
 * @csspart status - The connection status line, empty while connected.
 * @csspart composer - The form with the text box and Send button.
 * @csspart input - The text box.
 * @csspart send-button - The Send button (it turns into `stop-button` while an answer streams).
 * @csspart stop-button - The same button while an answer streams: stops it.
 *
 * @cssprop --ai-chat-height - Height of the chat (inline) or the panel (floating). Default `480px`.
 * @cssprop --ai-chat-width - Width of the floating panel. Default `360px`.
 * @cssprop --ai-chat-offset - Distance of the floating launcher from the viewport corner. Default `16px`.
 * @cssprop --ai-chat-z-index - Stack level of the floating launcher and panel. Default `2147483000`.
 * @cssprop --ai-chat-color - Text color.
 * @cssprop --ai-chat-background - Background color.
 * @cssprop --ai-chat-font-family - Font family.
 * @cssprop --ai-chat-font-size - Font size. Default `15px`.
 * @cssprop --ai-chat-border-color - Border color.
 * @cssprop --ai-chat-radius - Corner radius. Default `12px`.
 * @cssprop --ai-chat-user-background - Background of the user's messages.
 * @cssprop --ai-chat-user-color - Text color of the user's messages.
 * @cssprop --ai-chat-accent - Background of the Send button and launcher.
 * @cssprop --ai-chat-accent-color - Text color of the Send button and launcher.
 * @cssprop --ai-chat-link-color - Link color in answers.
 * @cssprop --ai-chat-code-background - Background of code in answers.
 * @cssprop --ai-chat-code-font-family - Font of code in answers.
 * @cssprop --ai-chat-muted-color - Status line, notes, typing dots, text box border.
 * @cssprop --ai-chat-error-background - Background of a message that failed to send.
 * @cssprop --ai-chat-focus-color - Focus ring.
 */
export class AiStreamChat extends LitElement {
  static override styles = [themeStyles, panelStyles, messageStyles, markdownStyles, composerStyles];

  static override properties = {
    url: { type: String, reflect: true, useDefault: true },
    sessionUrl: { type: String, reflect: true, useDefault: true, attribute: 'session-url' },
    conversationId: { type: String, reflect: true, useDefault: true, attribute: 'conversation-id' },
    persist: { type: String, reflect: true, useDefault: true },
    heading: { type: String, reflect: true, useDefault: true },
    placeholder: { type: String, reflect: true, useDefault: true },
    theme: { type: String, reflect: true, useDefault: true },
    mode: { type: String, reflect: true, useDefault: true },
    open: { type: Boolean, reflect: true, useDefault: true },
    allowImages: { type: String, reflect: true, useDefault: true, attribute: 'allow-images' },
    allowHtml: { type: Boolean, reflect: true, useDefault: true, attribute: 'allow-html' },
    params: { attribute: 'params', converter: jsonObjectAttribute('params', isParams) },
    welcomeMessage: { type: String, reflect: true, useDefault: true, attribute: 'welcome-message' },
    strings: { attribute: 'strings', converter: jsonObjectAttribute('strings', isObject) },
    connectionStatus: { state: true },
    statusDetail: { state: true },
    online: { state: true },
    copiedKey: { state: true },
    announcement: { state: true },
    notice: { state: true },
    retryAt: { state: true },
  };

  /** `lang` and `dir` are native attributes; the widget re-renders when they change. */
  static override get observedAttributes(): string[] {
    // biome-ignore lint/complexity/noThisInStatic: super must run Lit's getter with this class as `this`.
    return [...super.observedAttributes, 'lang', 'dir'];
  }

  /** WebSocket URL of the chat server. Empty: same origin, path `/ws`. */
  declare url: string;
  /** URL that hands out session tokens over HTTP before the socket opens. Empty: no token. */
  declare sessionUrl: string;
  /** Conversation to open. Empty: the remembered one (see `persist`), or a new one. */
  declare conversationId: string;
  /** Where the conversation id is remembered across reloads: `local`, `session` or `none`. */
  declare persist: ChatPersist;
  /** Title shown in the header, and the chat's accessible name. */
  declare heading: string;
  /** Placeholder of the text box. Empty: `strings.placeholder`. */
  declare placeholder: string;
  /** Color theme: `light`, `dark`, or `auto` (follows the system's preference). */
  declare theme: ChatTheme;
  /** `inline`: the chat sits in the page. `floating`: a launcher button in the corner opens it. */
  declare mode: ChatMode;
  /** Floating mode: whether the panel is open. */
  declare open: boolean;
  /** Space-separated origins answers may load images from. Empty: images are shown as links. */
  declare allowImages: string;
  /** Render raw HTML in answers (still sanitized) instead of showing it as text. */
  declare allowHtml: boolean;
  /** Default model parameters sent with every message (attribute: JSON), e.g. `{"temperature":0.2}`. */
  declare params: MessageParams;
  /** A first assistant bubble shown above the conversation (plain text, never sent). */
  declare welcomeMessage: string;
  /** Overrides of the UI strings (attribute: JSON); missing keys stay English. */
  declare strings: Partial<ChatStrings>;
  declare protected connectionStatus: ConnectionStatus;
  declare protected statusDetail: string;
  declare protected online: boolean;
  declare protected copiedKey: string;
  declare protected announcement: string;
  /** A one-line explanation of something the user should know (e.g. the server lost the conversation). */
  declare protected notice: string;
  /** When the next reconnect attempt starts (epoch ms), for the countdown; 0 when none is scheduled. */
  declare protected retryAt: number;

  private readonly scroller = new FollowBottomController(this, () => {
    const log = this.renderRoot.querySelector<HTMLElement>('.log');
    const end = log?.querySelector<HTMLElement>(':scope > .log-end');
    return log && end ? { log, end } : undefined;
  });

  private readonly session = new ChatSession(this, {
    url: () => this.connectUrl(),
    onClose: (code) => {
      if (code === CloseCode.TokenExpired) this.sessionTokens?.expired();
    },
    onChange: (change) => this.onChange(change),
    onWelcome: (welcome, outcome) => this.onWelcome(welcome, outcome),
    onFrame: (frame, change) => this.afterFrame(frame, change),
    onStatus: (status, detail, retryAt) => this.onConnectionStatus(status, detail, retryAt),
    onProtocolError: (message) => console.warn(`<ai-stream-chat>: ignored an invalid frame: ${message}`),
  });
  private readonly streams = new Map<string, MarkdownStream>();
  private readonly markdownRefs = new Map<string, (el: Element | undefined) => void>();
  private countdownTimer: ReturnType<typeof setInterval> | undefined;
  /** Tokens from `session-url`, for the current session-url and persist mode. */
  private sessionTokens: SessionTokens | undefined;
  /** Answers currently showing the typing indicator: their first text must re-render. */
  private readonly typingKeys = new Set<string>();
  private ui: ChatStrings = resolveStrings(undefined);
  private announcementCount = 0;
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.url = '';
    this.sessionUrl = '';
    this.conversationId = '';
    this.persist = 'local';
    this.heading = '';
    this.placeholder = '';
    this.theme = 'light';
    this.mode = 'inline';
    this.open = false;
    this.allowImages = '';
    this.allowHtml = false;
    this.params = {};
    this.welcomeMessage = '';
    this.strings = {};
    this.connectionStatus = 'idle';
    this.statusDetail = '';
    this.online = true;
    this.copiedKey = '';
    this.announcement = '';
    this.notice = '';
    this.retryAt = 0;
  }

  private get state(): ChatState {
    return this.session.state;
  }

  private socketUrl(): string {
    return this.url || defaultSocketUrl();
  }

  private storageKey(): string {
    return conversationKey(this.socketUrl());
  }

  /**
   * The URL of the next connection. With `session-url`, a session token (new
   * or renewed) goes in its `token` parameter, and names the conversation.
   */
  private async connectUrl(): Promise<string> {
    const base = this.socketUrl();
    if (!this.sessionUrl) return base;
    const persist = parsePersistMode(this.persist);
    const key = sessionKey(new URL(this.sessionUrl, location.href).href);
    if (this.sessionTokens?.matches(key, persist) !== true) {
      this.sessionTokens = new SessionTokens(this.sessionUrl, persist, key);
    }
    const session = await this.sessionTokens.current();
    this.state.conversationId = session.conversationId;
    const url = new URL(base);
    url.searchParams.set('token', session.token);
    return url.href;
  }

  /** The messages as the widget holds them (read-only view, for host pages and tests). */
  get messages(): readonly Readonly<ChatMessage>[] {
    return this.state.messages;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.state.conversationId ??=
      this.conversationId || loadItem(parsePersistMode(this.persist), this.storageKey());
    this.session.open();
    this.online = navigator.onLine;
    window.addEventListener('online', this.onOnlineChange);
    window.addEventListener('offline', this.onOnlineChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.onOnlineChange);
    window.removeEventListener('offline', this.onOnlineChange);
    clearTimeout(this.copiedTimer);
    clearInterval(this.countdownTimer);
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang' || name === 'dir') this.requestUpdate();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The first render keeps the connection connectedCallback opened (`url` is read on each connect).
    if (changed.has('url') && this.hasUpdated && this.isConnected) this.session.open();
    if (changed.has('strings')) {
      this.ui = resolveStrings(this.strings);
      for (const stream of this.streams.values()) stream.relabel(this.ui);
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Opening the floating panel moves focus into it; closing it returns focus to the launcher.
    if (changed.has('open') && changed.get('open') !== undefined && this.mode === 'floating') {
      if (this.open) this.input?.focus();
      else if (this.shadowRoot?.activeElement) this.launcher?.focus();
    }
  }

  /** Lit updates run in the shared animation-frame loop, like markdown rendering. */
  protected override async scheduleUpdate(): Promise<void> {
    await nextFrame();
    super.scheduleUpdate();
  }

  /**
   * Sends `text` as a user message, with `params` over the element's `params`;
   * it waits in the outbox while offline.
   */
  send(text: string, params: MessageParams = {}): void {
    if (text.trim() === '') return;
    const merged: MessageParams = { ...this.params, ...params };
    const message = this.session.send(text, merged);
    emit(this, 'ai-chat-message-sent', { clientMsgId: message.clientMsgId as string, text, params: merged });
  }

  /** Stops the answer being written, if any: the server cancels its generation. */
  stop(): void {
    this.session.stop();
  }

  /** Starts a new, empty conversation (stopping an answer still being written). */
  clear(): void {
    this.session.stop();
    this.startNewConversation();
  }

  /** Focuses the text box (opening the floating panel first). */
  override focus(options?: FocusOptions): void {
    if (this.mode === 'floating' && !this.open) {
      this.open = true; // updated() focuses the text box once the panel shows
      return;
    }
    if (this.input) this.input.focus(options);
    else void this.updateComplete.then(() => this.input?.focus(options));
  }

  private get input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }

  private get launcher(): HTMLButtonElement | null {
    return this.renderRoot.querySelector('.launcher');
  }

  /** Forgets the conversation on screen and opens a connection without a conversation id. */
  private startNewConversation(): void {
    for (const stream of this.streams.values()) stream.dispose();
    this.streams.clear();
    this.markdownRefs.clear();
    this.typingKeys.clear();
    this.state.clear();
    this.notice = '';
    saveItem(parsePersistMode(this.persist), this.storageKey(), undefined);
    this.sessionTokens?.forget();
    if (this.isConnected) this.session.open();
    this.requestUpdate();
  }

  /** Asks the question of `answer` again, as a new message. */
  private regenerate(answer: ChatMessage): void {
    const message = this.session.regenerate(answer);
    if (message) {
      emit(this, 'ai-chat-message-sent', {
        clientMsgId: message.clientMsgId as string,
        text: message.text,
        params: message.params ?? {},
      });
    }
  }

  private async copyMessage(message: ChatMessage): Promise<void> {
    try {
      await navigator.clipboard.writeText(message.text);
    } catch {
      return; // no clipboard access (e.g. an insecure page): the button stays as it was
    }
    this.copiedKey = message.key;
    this.announce(this.ui.copied);
    clearTimeout(this.copiedTimer);
    this.copiedTimer = setTimeout(() => {
      this.copiedKey = '';
    }, 2000);
  }

  /** Says `text` once through the polite, visually hidden live region. */
  private announce(text: string): void {
    this.announcementCount++;
    this.announcement = text;
  }

  private onChange(change: Change): void {
    if (change.kind === 'text') {
      const stream = this.streams.get(change.message.key);
      if (change.appended !== undefined) stream?.append(change.appended);
      else stream?.update(change.message.text, false);
      return;
    }
    this.refreshStreams();
    this.requestUpdate();
  }

  private onWelcome(welcome: WelcomeFrame, outcome: WelcomeOutcome): void {
    saveItem(parsePersistMode(this.persist), this.storageKey(), welcome.conversationId);
    this.notice = outcome === 'lost' ? this.ui.conversationLost : '';
    if (this.notice) this.announce(this.notice);
  }

  /** The view's side of a frame: host-page events, typing indicator, announcements. */
  private afterFrame(frame: ServerFrame, change: Change): void {
    if (change.kind === 'text' && this.typingKeys.has(change.message.key)) this.requestUpdate();
    switch (frame.type) {
      case 'start':
        if (change.kind === 'structure') {
          emit(this, 'ai-chat-answer-start', { messageId: frame.messageId, replyTo: frame.replyTo });
        }
        break;
      case 'done': {
        const message = this.state.messages.find((m) => m.id === frame.messageId);
        if (change.kind !== 'structure' || !message) break;
        const { finishReason, usage } = frame;
        emit(this, 'ai-chat-answer-done', {
          messageId: frame.messageId,
          text: message.text,
          finishReason,
          usage,
        });
        this.announceAnswer(message);
        break;
      }
      case 'error': {
        const { code, message, retryable, messageId, clientMsgId } = frame;
        emit(this, 'ai-chat-error', {
          code,
          message,
          retryable,
          ...(messageId ? { messageId } : {}),
          ...(clientMsgId ? { clientMsgId } : {}),
        });
        break;
      }
      default:
        break;
    }
  }

  /** Announces a finished answer once, as the text the reader sees (after its last render). */
  private announceAnswer(message: ChatMessage): void {
    void nextFrame().then(() => {
      const rendered = this.renderRoot.querySelector(`[data-key="${CSS.escape(message.key)}"] .markdown`);
      const full = rendered?.textContent?.trim() || message.text;
      // Nobody listens to megabytes, and laying them out in the live region would stall the page.
      const text = full.length > MAX_ANNOUNCED ? `${full.slice(0, MAX_ANNOUNCED)}…` : full;
      if (text) this.announce(formatString(this.ui.answerFinished, { text }));
    });
  }

  private onConnectionStatus(status: ConnectionStatus, detail: string, retryAt = 0): void {
    const before = this.shownStatus();
    this.connectionStatus = status;
    this.statusDetail = detail;
    this.retryAt = status === 'reconnecting' ? retryAt : 0;
    // The countdown re-renders once a second while a retry is scheduled.
    clearInterval(this.countdownTimer);
    if (this.retryAt > Date.now()) {
      this.countdownTimer = setInterval(() => {
        if (Date.now() >= this.retryAt) clearInterval(this.countdownTimer);
        this.requestUpdate();
      }, 1000);
    }
    if (this.shownStatus() !== before)
      emit(this, 'ai-chat-connection-change', { status: this.shownStatus(), detail });
  }

  private readonly onOnlineChange = (): void => {
    const before = this.shownStatus();
    this.online = navigator.onLine;
    const status = this.shownStatus();
    if (status !== before) emit(this, 'ai-chat-connection-change', { status, detail: this.statusDetail });
  };

  /** The socket's status, or `offline` while the browser says it is. */
  private shownStatus(): ShownConnectionStatus {
    return this.online ? this.connectionStatus : 'offline';
  }

  private refreshStreams(): void {
    for (const message of this.state.messages) {
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
        // Connected again (the element moved): render the answer afresh, not after what it shows.
        el.replaceChildren();
        const stream = new MarkdownStream(el, this.markdownOptions());
        this.streams.set(key, stream);
        const message = this.state.messages.find((m) => m.key === key);
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
      labels: this.ui,
      onRender: () => this.scroller.afterFrame(),
    };
  }

  private renderJumpToLatest(): TemplateResult | typeof nothing {
    if (this.scroller.following) return nothing;
    return html`<button class="jump-latest" part="jump-latest" type="button" @click=${this.scroller.jumpToLatest}>
      ${this.ui.jumpToLatest}
    </button>`;
  }

  private onKeyDown(event: KeyboardEvent): void {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition does neither.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    (event.target as HTMLTextAreaElement).form?.requestSubmit();
  }

  /** The text box grows with its text, up to its CSS max-height, then scrolls. */
  private onInput(event: Event): void {
    this.fitInput(event.target as HTMLTextAreaElement);
  }

  private fitInput(input: HTMLTextAreaElement): void {
    input.style.height = 'auto';
    if (input.value !== '')
      input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    // The same button is Stop while an answer streams; Enter in the text box still sends.
    if (event.submitter && this.isAnswering()) {
      this.stop();
      return;
    }
    const input = this.input;
    if (!input) return;
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    this.fitInput(input);
    this.send(text);
  }

  private onPanelKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.mode === 'floating' && this.open) {
      event.stopPropagation();
      this.open = false;
    }
  }

  private toggleOpen(): void {
    this.open = !this.open;
  }

  private reconnectNow(): void {
    this.session.open();
  }

  /** Whether an answer is streaming (the Send button is then Stop). */
  private isAnswering(): boolean {
    return this.state.messages.some((m) => m.role === 'assistant' && m.status === 'streaming');
  }

  /** The language of the widget's text: its `lang`, else the closest ancestor's, else the page's. */
  private resolvedLang(): string {
    return this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || 'en';
  }

  /** `dir` when set, otherwise from the language, so right-to-left languages lay out mirrored. */
  private resolvedDir(): 'ltr' | 'rtl' {
    const dir = this.getAttribute('dir')?.toLowerCase();
    if (dir === 'rtl' || dir === 'ltr') return dir;
    return isRtlLanguage(this.resolvedLang()) ? 'rtl' : 'ltr';
  }

  private renderTyping(): TemplateResult {
    return html`<div class="typing" part="typing-indicator" aria-hidden="true"><span></span><span></span><span></span></div>`;
  }

  private renderUserMessage(message: ChatMessage): TemplateResult {
    const ui = this.ui;
    return html`<div class="message user ${message.status}" part="message user" data-key=${message.key}>
      <span class="sr-only">${ui.you}:</span>
      <span class="text">${message.text}</span>
      ${message.status === 'pending' ? html`<div class="note">${ui.pending}</div>` : nothing}
      ${message.queued ? html`<div class="note">${ui.queued}</div>` : nothing}
      ${
        message.status === 'failed'
          ? html`<div class="note">
            ${formatString(ui.failed, { error: message.error ?? '' })}
            <button type="button" class="ghost" part="retry-button" @click=${() => this.session.retry(message.key)}>
              ${ui.retry}
            </button>
          </div>`
          : nothing
      }
    </div>`;
  }

  private renderAssistantMessage(message: ChatMessage, last: boolean): TemplateResult {
    const ui = this.ui;
    const streaming = message.status === 'streaming';
    const waiting = streaming && message.text === '';
    if (waiting) this.typingKeys.add(message.key);
    else this.typingKeys.delete(message.key);
    const reason = message.finishReason;
    const note =
      reason === 'cancelled'
        ? ui.cancelled
        : reason === 'interrupted' || reason === 'error'
          ? (message.error ?? ui.interrupted)
          : reason === 'length'
            ? ui.truncated
            : '';
    return html`<div
      class="message assistant"
      part="message assistant"
      data-key=${message.key}
      aria-busy=${streaming ? 'true' : 'false'}
    >
      <span class="sr-only">${ui.assistant}:</span>
      <div class="markdown" ${ref(this.markdownRef(message.key))}></div>
      ${waiting ? this.renderTyping() : nothing}
      ${note ? html`<div class="note">${note}</div>` : nothing}
      ${
        streaming
          ? nothing
          : html`<div class="actions" part="message-actions">
            <button type="button" class="ghost" part="copy-button" @click=${() => this.copyMessage(message)}>
              ${this.copiedKey === message.key ? ui.copied : ui.copy}
            </button>
            ${
              last || reason === 'interrupted' || reason === 'error'
                ? html`<button type="button" class="ghost" part="regenerate-button" @click=${() => this.regenerate(message)}>
                  ${ui.regenerate}
                </button>`
                : nothing
            }
          </div>`
      }
    </div>`;
  }

  private renderMessages(): TemplateResult {
    const messages = this.state.messages;
    const last = messages.at(-1);
    const answering = this.isAnswering();
    // Between sending and the answer's start frame, the dots stand alone.
    const awaitingStart = last?.role === 'user' && (last.status === 'sent' || last.status === 'done');
    return html`${
      this.welcomeMessage
        ? html`<div class="message assistant welcome" part="message assistant welcome">${this.welcomeMessage}</div>`
        : nothing
    }${repeat(
      messages,
      (m) => m.key,
      (m) =>
        m.role === 'user'
          ? this.renderUserMessage(m)
          : this.renderAssistantMessage(m, m === last && !answering),
    )}${awaitingStart ? this.renderTyping() : nothing}`;
  }

  private statusText(status: ShownConnectionStatus): string {
    switch (status) {
      case 'connecting':
        return this.ui.connecting;
      case 'reconnecting': {
        const seconds = Math.ceil((this.retryAt - Date.now()) / 1000);
        return seconds > 0 ? formatString(this.ui.reconnectingIn, { seconds }) : this.ui.reconnecting;
      }
      case 'offline':
        return this.ui.offline;
      case 'stopped':
        return formatString(this.ui.disconnected, { reason: this.statusDetail });
      default:
        return '';
    }
  }

  /** The status line: empty (and quiet) while all is well. */
  private renderStatus(): TemplateResult {
    const status = this.shownStatus();
    const text = this.statusText(status);
    const canRetry = status === 'reconnecting' || status === 'stopped';
    return html`<div class="status" part="status" role="status">${text ? html`<span>${text}</span>` : nothing}${
      canRetry
        ? html`<button type="button" class="ghost" @click=${this.reconnectNow}>${this.ui.reconnectNow}</button>`
        : nothing
    }</div>`;
  }

  private renderHeader(): TemplateResult {
    const ui = this.ui;
    const floating = this.mode === 'floating';
    return html`<header part="header">
      <span class="title" part="heading">${this.heading}</span>
      <button type="button" class="ghost" part="new-conversation-button" @click=${this.clear}>
        ${ui.newConversation}
      </button>
      ${
        floating
          ? html`<button
            type="button"
            class="ghost icon"
            part="close-button"
            aria-label=${ui.closeChat}
            @click=${this.toggleOpen}
          >
            ×
          </button>`
          : nothing
      }
    </header>`;
  }

  private renderComposer(): TemplateResult {
    const ui = this.ui;
    const answering = this.isAnswering();
    return html`<form part="composer" @submit=${this.onSubmit}>
      <textarea
        part="input"
        rows="1"
        enterkeyhint="send"
        aria-label=${ui.inputLabel}
        placeholder=${this.placeholder || ui.placeholder}
        @keydown=${this.onKeyDown}
        @input=${this.onInput}
      ></textarea>
      <button part=${answering ? 'stop-button' : 'send-button'} type="submit">
        ${answering ? ui.stop : ui.send}
      </button>
    </form>`;
  }

  private renderPanel(): TemplateResult {
    const hidden = this.mode === 'floating' && !this.open;
    return html`<section
      id="panel"
      class="panel"
      part="panel"
      role="region"
      aria-label=${this.heading || this.ui.title}
      ?hidden=${hidden}
      @keydown=${this.onPanelKeyDown}
    >
      ${this.renderHeader()}
      <div
        class=${this.scroller.following ? 'log following' : 'log'}
        part="log"
        role="log"
        aria-live="off"
        aria-label=${this.ui.messagesLabel}
        tabindex="0"
        @scroll=${this.scroller.onScroll}
      >
        ${this.renderMessages()}<div class="log-end" aria-hidden="true"></div>
      </div>
      ${this.renderJumpToLatest()}
      ${this.notice ? html`<div class="notice" part="notice">${this.notice}</div>` : nothing}
      ${this.renderStatus()} ${this.renderComposer()}
    </section>`;
  }

  private renderLauncher(): TemplateResult {
    const label = this.open ? this.ui.closeChat : this.ui.openChat;
    return html`<button
      type="button"
      class="launcher"
      part="launcher"
      aria-label=${label}
      aria-expanded=${this.open ? 'true' : 'false'}
      aria-controls="panel"
      @click=${this.toggleOpen}
    >
      ${chatIcon}
    </button>`;
  }

  protected override render(): TemplateResult {
    // The log's own live region is off: streaming text would be read token by token.
    // Finished answers and notices are read once, from the hidden region at the end.
    return html`<div class="root" lang=${this.resolvedLang()} dir=${this.resolvedDir()}>
      ${this.renderPanel()} ${this.mode === 'floating' ? this.renderLauncher() : nothing}
      <div class="sr-only" aria-live="polite">
        ${keyed(this.announcementCount, html`<p>${this.announcement}</p>`)}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ai-stream-chat': AiStreamChat;
  }
}
