import { LitElement, type PropertyValues, type TemplateResult } from 'lit';
import type { FeedbackValue, MessageParams, ServerFrame, WelcomeFrame } from '../protocol/index.js';
import { lostObject, lostObjectWarning, paramsAttribute, stringsAttribute } from './attribute-converters.js';
import { ChatSession } from './chat-session.js';
import type { Change, ChatMessage, WelcomeOutcome } from './chat-state.js';
import { ConnectionStatusController } from './controllers/connection-status-controller.js';
import { CopiedMessageController } from './controllers/copied-message-controller.js';
import { FollowBottomController } from './controllers/follow-bottom-controller.js';
import { LayoutAhead } from './controllers/layout-ahead.js';
import { clipForReading, LiveAnnouncer } from './controllers/live-announcer.js';
import { OlderHistoryController } from './controllers/older-history-controller.js';
import { SessionTokenController } from './controllers/session-token-controller.js';
import { property, state } from './decorators.js';
import { AnswerMarkdown } from './directives/answer-markdown.js';
import { emit, emitFrameEvent } from './events.js';
import { nextFrame } from './frame-loop.js';
import { warmUpMarkdown } from './markdown/markdown-stream.js';
import { markdownStyles } from './markdown/markdown-styles.js';
import { conversationKey, loadItem, parsePersistMode, saveItem } from './persistence.js';
import { type ChatStrings, formatString, isRtlLanguage, resolveStrings } from './strings.js';
import { composerStyles } from './styles/composer-styles.js';
import { messageStyles } from './styles/message-styles.js';
import { panelStyles } from './styles/panel-styles.js';
import { themeStyles } from './styles/theme-styles.js';
import { renderChat } from './templates/chat-template.js';
import type { ChatActions, ChatMode, ChatView } from './templates/chat-view.js';
import { MessageGroups } from './templates/message-groups.js';

/** How near the top of the log (px) a scroll asks for older history. */
const LOAD_OLDER_PX = 300;

export type ChatTheme = 'light' | 'dark' | 'auto';
export type { ChatMode };
export type ChatPersist = 'local' | 'session' | 'none';

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
 *
 * @fires ai-chat-message-sent - The user (or `send()`) sent a message. Detail: `{ clientMsgId, text, params }`.
 * @fires ai-chat-answer-start - An answer started streaming. Detail: `{ messageId, replyTo }`.
 * @fires ai-chat-answer-done - An answer finished. Detail: `{ messageId, text, finishReason, usage, reasoning, tools, sources }`.
 * @fires ai-chat-feedback - The reader chose a thumb under an answer, or took it back. Detail: `{ messageId, value }` (`up`, `down` or `null`).
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
 * @csspart copy-button - Copies an answer's text (not its reasoning).
 * @csspart reasoning - An answer's reasoning: its disclosure button and, when open, its text.
 * @csspart reasoning-toggle - The button that opens and closes the reasoning ("Thinking… N s", "Thought for N s").
 * @csspart reasoning-text - The reasoning's rendered markdown.
 * @csspart tool-steps - The list of an answer's tool steps.
 * @csspart tool-step - One tool step (class `running`, `done` or `failed`).
 * @csspart sources - The numbered list of an answer's sources.
 * @csspart source-link - A source's link (only for http and https URLs).
 * @csspart regenerate-button - Asks again, on the last answer and on interrupted ones.
 * @csspart feedback-up-button - Thumbs up under an ended answer (`aria-pressed` while chosen; pressed again, takes it back).
 * @csspart feedback-down-button - Thumbs down under an ended answer, likewise.
 * @csspart retry-button - Sends a failed message again.
 * @csspart cancel-queued-button - On a question waiting behind the answer being written: cancels it, so it is never answered.
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
 * @cssprop --ai-chat-feedback-color - Background of a chosen thumb. Default: `--ai-chat-accent`.
 * @cssprop --ai-chat-link-color - Link color in answers.
 * @cssprop --ai-chat-code-background - Background of code in answers.
 * @cssprop --ai-chat-code-font-family - Font of code in answers.
 * @cssprop --ai-chat-muted-color - Status line, notes, typing dots, text box border.
 * @cssprop --ai-chat-error-background - Background of a message that failed to send.
 * @cssprop --ai-chat-focus-color - Focus ring.
 */
export class AiStreamChat extends LitElement {
  static override styles = [themeStyles, panelStyles, messageStyles, markdownStyles, composerStyles];

  /** WebSocket URL of the chat server. Empty: same origin, path `/ws`. */
  @property({ reflect: true, useDefault: true }) url = '';
  /** URL that hands out session tokens over HTTP before the socket opens. Empty: no token. */
  @property({ reflect: true, useDefault: true, attribute: 'session-url' }) sessionUrl = '';
  /** Conversation to open. Empty: the remembered one (see `persist`), or a new one. */
  @property({ reflect: true, useDefault: true, attribute: 'conversation-id' }) conversationId = '';
  /** Where the conversation id is remembered across reloads: `local`, `session` or `none`. */
  @property({ reflect: true, useDefault: true }) persist: ChatPersist = 'local';
  /** Title shown in the header, and the chat's accessible name. */
  @property({ reflect: true, useDefault: true }) heading = '';
  /** Placeholder of the text box. Empty: `strings.placeholder`. */
  @property({ reflect: true, useDefault: true }) placeholder = '';
  /** Color theme: `light`, `dark`, or `auto` (follows the system's preference). */
  @property({ reflect: true, useDefault: true }) theme: ChatTheme = 'light';
  /** `inline`: the chat sits in the page. `floating`: a launcher button in the corner opens it. */
  @property({ reflect: true, useDefault: true }) mode: ChatMode = 'inline';
  /** Floating mode: whether the panel is open. */
  @property({ type: Boolean, reflect: true, useDefault: true }) open = false;
  /** Space-separated origins answers may load images from. Empty: images are shown as links. */
  @property({ reflect: true, useDefault: true, attribute: 'allow-images' }) allowImages = '';
  /** Render raw HTML in answers (still sanitized) instead of showing it as text. */
  @property({ type: Boolean, reflect: true, useDefault: true, attribute: 'allow-html' }) allowHtml = false;
  /** Default model parameters sent with every message (attribute: JSON), e.g. `{"temperature":0.2}`. */
  @property({ converter: paramsAttribute }) params: MessageParams = {};
  /** A first assistant bubble shown above the conversation (plain text, never sent). */
  @property({ reflect: true, useDefault: true, attribute: 'welcome-message' }) welcomeMessage = '';
  /** Overrides of the UI strings (attribute: JSON); missing keys stay English. */
  @property({ converter: stringsAttribute }) strings: Partial<ChatStrings> = {};
  /** Language of the widget's text. Empty: the closest ancestor's `lang`, else the page's, else `en`. */
  @property({ reflect: true, useDefault: true }) override lang = '';
  /** `ltr` or `rtl`. Empty: from the language, so right-to-left languages lay out mirrored. */
  @property({ reflect: true, useDefault: true }) override dir = '';
  /** A one-line explanation of something the user should know (e.g. the server lost the conversation). */
  @state() protected notice = '';

  private ui: ChatStrings = resolveStrings(undefined);
  private conversationNumber = 0;
  private readonly groups = new MessageGroups();
  private readonly scroller = new FollowBottomController(this, () => {
    const log = this.log();
    const end = log?.querySelector<HTMLElement>(':scope > .log-end');
    return log && end ? { log, end } : undefined;
  });
  private readonly older = new OlderHistoryController(this, {
    messages: () => this.session.state.messages,
    log: () => this.log(),
    rendering: () => this.answers.catchingUp,
    startsGroup: (index) => this.groups.startsGroup(this.session.state.messages, index),
    following: () => this.scroller.following,
  });
  private readonly layoutAhead = new LayoutAhead(
    () => this.isAnswering() || !this.older.allShown || this.answers.catchingUp,
  );
  private readonly status = new ConnectionStatusController(this);
  private readonly announcer = new LiveAnnouncer(this);
  private readonly copied = new CopiedMessageController(this, (text) => this.announcer.announce(text));
  private readonly tokens = new SessionTokenController(this);
  private readonly session = new ChatSession(
    this,
    {
      url: () => this.tokens.connectUrl(this.socketUrl(), (id) => (this.session.state.conversationId = id)),
      onClose: (code) => this.tokens.socketClosed(code),
      onChange: (change) => this.onChange(change),
      onWelcome: (welcome, outcome) => this.onWelcome(welcome, outcome),
      onFrame: (frame, change) => this.afterFrame(frame, change),
      onStatus: (status, detail, retryAt) => this.status.socketChanged(status, detail, retryAt),
      onProtocolError: (message) => console.warn(`<ai-stream-chat>: ignored an invalid frame: ${message}`),
    },
    { parts: true },
  );
  private readonly findMessage = (key: string) => this.session.state.messages.find((m) => m.key === key);
  /** Reasoning is model output like the answer: the same renderer, sanitizer and link policy. */
  private readonly markdownOptions = () => ({
    allowHtml: this.allowHtml,
    imageOrigins: this.allowImages.split(/\s+/).filter(Boolean),
    onRender: () => this.scroller.afterFrame(),
    labels: this.ui,
    onRenderedWhole: (container: HTMLElement) => this.layoutAhead.add(container),
  });
  private readonly answers = new AnswerMarkdown(this.findMessage, this.markdownOptions);
  private readonly thoughts = new AnswerMarkdown(this.findMessage, this.markdownOptions, (m) => [
    m.reasoning ?? '',
    m.status !== 'streaming' || m.text !== '',
  ]);
  private readonly reasoningOpen = new Map<string, boolean>();
  /** Ticks the "Thinking… N s" label while an answer thinks. */
  private thinkingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly actions: ChatActions = {
    send: (text) => this.send(text),
    stop: () => this.stop(),
    isAnswering: () => this.isAnswering(),
    clear: () => this.clear(),
    reconnect: () => this.session.open(),
    toggleOpen: () => {
      this.open = !this.open;
    },
    closePanel: () => {
      if (this.mode !== 'floating' || !this.open) return false;
      this.open = false;
      return true;
    },
    retry: (key) => this.session.retry(key),
    cancelQueued: (key) => this.session.cancelQueued(key),
    copy: (message) => void this.copied.copy(message, this.ui.copied),
    regenerate: (message) => this.regenerate(message),
    feedback: (message, value) => this.feedback(message, value),
    jumpToLatest: this.scroller.jumpToLatest,
    onLogScroll: (event) => {
      this.scroller.onScroll(event);
      this.older.onScroll();
      // Scrolled up near the top with every held message shown: the page before them, if the server has one.
      const log = event.currentTarget as HTMLElement;
      if (this.older.allShown && !this.scroller.following && log.scrollTop < LOAD_OLDER_PX)
        if (this.session.requestOlder()) this.requestUpdate();
    },
    markdown: (key) => this.answers.into(key),
    reasoning: (key) => this.thoughts.into(key),
    toggleReasoning: (key, open) => {
      this.reasoningOpen.set(key, open);
      this.requestUpdate();
    },
  };

  /** The messages as the widget holds them (read-only view, for host pages and tests). */
  get messages(): readonly Readonly<ChatMessage>[] {
    return this.session.state.messages;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.session.state.conversationId ??=
      this.conversationId || loadItem(parsePersistMode(this.persist), this.storageKey());
    this.session.open();
    warmUpMarkdown();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.thinkingTimer);
    this.thinkingTimer = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The first render keeps the connection connectedCallback opened (`url` is read on each connect).
    if (changed.has('url') && this.hasUpdated && this.isConnected) this.session.open();
    // An "[object Object]" attribute no property has replaced since: that object is lost.
    if (changed.has('params') && this.params === lostObject) console.warn(lostObjectWarning('params'));
    if (changed.has('strings') && this.strings === lostObject) console.warn(lostObjectWarning('strings'));
    if (changed.has('strings')) {
      this.ui = resolveStrings(this.strings);
      this.answers.relabel(this.ui);
      this.thoughts.relabel(this.ui);
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Opening the floating panel moves focus into it; closing it returns focus to the launcher.
    if (changed.has('open') && changed.get('open') !== undefined && this.mode === 'floating') {
      if (this.open) this.input?.focus();
      else if (this.shadowRoot?.activeElement)
        this.renderRoot.querySelector<HTMLElement>('.launcher')?.focus();
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
    this.answers.clear();
    this.thoughts.clear();
    this.reasoningOpen.clear();
    this.session.state.clear();
    this.older.reset();
    this.layoutAhead.clear();
    this.groups.clear();
    this.conversationNumber++;
    this.notice = '';
    saveItem(parsePersistMode(this.persist), this.storageKey(), undefined);
    this.tokens.forget();
    if (this.isConnected) this.session.open();
    this.requestUpdate();
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

  protected override render(): TemplateResult {
    return renderChat(this.view(), this.actions);
  }

  /** What this render shows. */
  private view(): ChatView {
    // The widget's language: its own, else the closest ancestor's, else the page's.
    const lang =
      this.lang ||
      this.parentElement?.closest('[lang]')?.getAttribute('lang') ||
      document.documentElement.lang ||
      'en';
    const dir = this.dir.toLowerCase();
    const messages = this.older.shown(this.session.state.messages);
    return {
      ui: this.ui,
      lang,
      dir: dir === 'rtl' || dir === 'ltr' ? dir : isRtlLanguage(lang) ? 'rtl' : 'ltr',
      mode: this.mode,
      open: this.open,
      heading: this.heading,
      placeholder: this.placeholder,
      welcomeMessage: this.welcomeMessage,
      notice: this.notice,
      messages,
      groups: this.groups.split(this.session.state.messages, messages),
      conversationNumber: this.conversationNumber,
      answering: this.isAnswering(),
      copiedKey: this.copied.key,
      reasoningOpen: this.reasoningOpen,
      following: this.scroller.following,
      loadingOlder: this.session.loadingOlder,
      status: this.status.shown,
      statusDetail: this.status.detail,
      serverReached: this.status.serverReached,
      secondsToRetry: this.status.secondsToRetry(),
      liveRegion: this.announcer.render(),
    };
  }

  private log(): HTMLElement | undefined {
    return this.renderRoot.querySelector<HTMLElement>('.log') ?? undefined;
  }

  private get input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }

  private socketUrl(): string {
    return this.url || defaultSocketUrl();
  }

  private storageKey(): string {
    return conversationKey(this.socketUrl());
  }

  /** Whether an answer is streaming (the Send button is then Stop). */
  private isAnswering(): boolean {
    return this.session.state.messages.some((m) => m.role === 'assistant' && m.status === 'streaming');
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

  /** A thumb: sends the verdict, tells the page, and says thanks to screen readers. */
  private feedback(answer: ChatMessage, value: FeedbackValue | null): void {
    if (!this.session.feedback(answer, value)) return;
    emit(this, 'ai-chat-feedback', { messageId: answer.id as string, value });
    if (value) this.announcer.announce(this.ui.feedbackThanks);
  }

  private onChange(change: Change): void {
    this.tickWhileThinking();
    if (change.kind === 'text') {
      const { message, appended, thought } = change;
      this.answers.textChanged(message, appended);
      if (thought !== undefined || appended === undefined) this.thoughts.textChanged(message, thought);
      // An answer's first text replaces its typing dots, and closes its reasoning (which then is complete).
      if (appended === undefined || (appended !== '' && appended.length === message.text.length)) {
        this.thoughts.textChanged(message, undefined);
        this.requestUpdate();
      }
      // The first reasoning shows its disclosure.
      if (thought !== undefined && thought.length === message.reasoning?.length) this.requestUpdate();
      return;
    }
    this.answers.refresh(this.session.state.messages);
    this.thoughts.refresh(this.session.state.messages);
    this.requestUpdate();
  }

  private tickWhileThinking(): void {
    const thinking = this.session.state.messages.some(
      (m) => m.status === 'streaming' && m.reasoning && m.text === '',
    );
    if (thinking && !this.thinkingTimer) this.thinkingTimer = setInterval(() => this.requestUpdate(), 1000);
    if (!thinking && this.thinkingTimer) {
      clearInterval(this.thinkingTimer);
      this.thinkingTimer = undefined;
    }
  }

  private onWelcome(welcome: WelcomeFrame, outcome: WelcomeOutcome): void {
    saveItem(parsePersistMode(this.persist), this.storageKey(), welcome.conversationId);
    this.older.historyArrived();
    this.notice = outcome === 'lost' ? this.ui.conversationLost : '';
    if (this.notice) this.announcer.announce(this.notice);
  }

  /** The view's side of a frame: host-page events, and reading out a finished answer. */
  private afterFrame(frame: ServerFrame, change: Change): void {
    const answer =
      frame.type === 'done' ? this.session.state.messages.find((m) => m.id === frame.messageId) : undefined;
    emitFrameEvent(this, frame, change, answer);
    if (frame.type === 'history') this.older.historyArrived();
    if (answer && change.kind === 'structure') this.announceAnswer(answer);
  }

  /** Announces a finished answer once, as the text the reader sees (after its last render). */
  private announceAnswer(message: ChatMessage): void {
    void nextFrame().then(() => {
      // The answer's own markdown, not its reasoning's.
      const rendered = this.renderRoot.querySelector(`[data-key="${CSS.escape(message.key)}"] > .markdown`);
      const text = clipForReading(rendered?.textContent?.trim() || message.text);
      if (text) this.announcer.announce(formatString(this.ui.answerFinished, { text }));
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ai-stream-chat': AiStreamChat;
  }
}
