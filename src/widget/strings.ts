/**
 * Every string the widget shows or announces, with English defaults. A host
 * page overrides any of them through the `strings` property or the `strings`
 * attribute (JSON); missing keys fall back to English. `{name}` placeholders
 * are filled in by `formatString`.
 */
export const defaultStrings = {
  /** Accessible name of the chat panel when there is no `heading`. */
  title: 'Chat',
  /** Placeholder of the text box when the `placeholder` attribute is absent. */
  placeholder: 'Ask anything…',
  inputLabel: 'Message',
  messagesLabel: 'Messages',
  you: 'You',
  assistant: 'Assistant',
  send: 'Send',
  stop: 'Stop',
  regenerate: 'Regenerate',
  /** Accessible names (and tooltips) of the thumbs under an answer. */
  goodAnswer: 'Good answer',
  badAnswer: 'Bad answer',
  /** Read by screen readers when a thumb is chosen. */
  feedbackThanks: 'Thanks for the feedback.',
  retry: 'Retry',
  /** On a queued question: takes it out of the queue, so it is never answered. */
  cancelQueued: 'Cancel',
  /** Copy under an answer, and on every code block. */
  copy: 'Copy',
  copied: 'Copied',
  /** A code block's Copy when the browser refused the clipboard. */
  copyFailed: 'Copy failed',
  /** Accessible name of a code block's Copy; `{language}` is the block's language label. */
  copyCode: 'Copy {language} code',
  newConversation: 'New conversation',
  openChat: 'Open chat',
  closeChat: 'Close chat',
  pending: 'Waiting to send…',
  queued: 'Queued: answered after the current answer.',
  failed: 'Not sent: {error}',
  cancelled: 'Stopped.',
  interrupted: 'This answer was interrupted.',
  truncated: 'The answer was cut off at its length limit.',
  typing: 'The assistant is writing…',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  reconnectingIn: 'Connection lost. Reconnecting in {seconds} s…',
  /** Retrying a server that has not answered once since the widget started (wrong URL, server down). */
  unreachable: "Can't reach the chat server. Retrying…",
  unreachableIn: "Can't reach the chat server. Retrying in {seconds} s…",
  reconnectNow: 'Reconnect now',
  offline: 'You are offline. Messages wait and go out when you are back online.',
  disconnected: 'Disconnected: {reason}',
  conversationLost:
    'The server no longer has this conversation, so the model will not see the messages above. Interrupted answers can be regenerated.',
  jumpToLatest: 'Jump to latest ↓',
  /** Read by screen readers once, when an answer has finished. */
  answerFinished: 'Answer: {text}',
  /** The reasoning's disclosure while the model thinks, and once the answer has begun. */
  thinking: 'Thinking… {seconds} s',
  thought: 'Thought for {seconds} s',
  /** The disclosure of reasoning whose timing this page did not see (it came with the history). */
  reasoning: 'Reasoning',
  /** At the top of the log while older messages load. */
  loadingOlder: 'Loading earlier messages…',
  /** Accessible name of the list of sources under an answer. */
  sources: 'Sources',
};

export type ChatStrings = { [K in keyof typeof defaultStrings]: string };

/** Merges overrides over the English defaults, ignoring keys and values that are not strings. */
export function resolveStrings(overrides: Partial<ChatStrings> | null | undefined): ChatStrings {
  const strings: ChatStrings = { ...defaultStrings };
  if (!overrides || typeof overrides !== 'object') return strings;
  for (const key of Object.keys(defaultStrings) as (keyof ChatStrings)[]) {
    const value = overrides[key];
    if (typeof value === 'string') strings[key] = value;
  }
  return strings;
}

/** Replaces `{name}` in `template` with `values.name`. */
export function formatString(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

const RTL_LANGUAGES = new Set([
  'ar',
  'arc',
  'ckb',
  'dv',
  'fa',
  'he',
  'iw',
  'ks',
  'ps',
  'sd',
  'ug',
  'ur',
  'yi',
]);

/** Whether a BCP 47 language tag is written right to left (by its primary subtag or script). */
export function isRtlLanguage(lang: string): boolean {
  const [primary = '', ...rest] = lang.toLowerCase().split(/[-_]/);
  if (rest.includes('arab') || rest.includes('hebr') || rest.includes('thaa')) return true;
  if (rest.includes('latn') || rest.includes('cyrl')) return false;
  return RTL_LANGUAGES.has(primary);
}
