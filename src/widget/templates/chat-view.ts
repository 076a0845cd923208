/**
 * What the templates render from: a snapshot of the element's state taken
 * for each render (ChatView), and the element's handlers (ChatActions).
 * Templates read these only; they change nothing while rendering.
 */
import type { TemplateResult } from 'lit';
import type { FeedbackValue } from '../../protocol/index.js';
import type { ChatMessage } from '../chat-state.js';
import type { ShownConnectionStatus } from '../events.js';
import type { ChatStrings } from '../strings.js';
import type { MessageGroup } from './message-groups.js';

export type ChatMode = 'inline' | 'floating';

export interface ChatView {
  ui: ChatStrings;
  lang: string;
  dir: 'ltr' | 'rtl';
  mode: ChatMode;
  open: boolean;
  heading: string;
  placeholder: string;
  welcomeMessage: string;
  notice: string;
  /** The messages shown (the oldest of a long history come a slice at a time). */
  messages: readonly ChatMessage[];
  /** The same messages in the log's groups (message-groups.ts). */
  groups: readonly MessageGroup[];
  /** Counts "New conversation"s: the log's list is built afresh for each conversation. */
  conversationNumber: number;
  /** An answer is streaming: Send is Stop. */
  answering: boolean;
  /** Key of the answer whose text was just copied. */
  copiedKey: string;
  /** Reasoning disclosures the user opened or closed (else open while thinking). */
  reasoningOpen: ReadonlyMap<string, boolean>;
  /** The log follows new content (no Jump to latest). */
  following: boolean;
  /** A page of older history is on its way. */
  loadingOlder: boolean;
  status: ShownConnectionStatus;
  statusDetail: string;
  /** The server has welcomed the connection at least once (else a retry says it cannot be reached). */
  serverReached: boolean;
  secondsToRetry: number;
  /** The hidden live region screen readers hear. */
  liveRegion: TemplateResult;
}

export interface ChatActions {
  send(text: string): void;
  stop(): void;
  /** Whether an answer streams now (read when the composer is submitted). */
  isAnswering(): boolean;
  clear(): void;
  reconnect(): void;
  toggleOpen(): void;
  /** Escape in the panel: closes it when floating and open; true when it did. */
  closePanel(): boolean;
  retry(key: string): void;
  /** Cancels a queued question (it leaves the queue unanswered). */
  cancelQueued(key: string): void;
  copy(message: ChatMessage): void;
  regenerate(message: ChatMessage): void;
  /** A thumb under an answer: its verdict, or null to take it back. */
  feedback(message: ChatMessage, value: FeedbackValue | null): void;
  jumpToLatest(): void;
  onLogScroll(event: Event): void;
  /** Binds an answer's markdown element to its stream. */
  markdown(key: string): unknown;
  /** The same for an answer's reasoning. */
  reasoning(key: string): unknown;
  toggleReasoning(key: string, open: boolean): void;
}
