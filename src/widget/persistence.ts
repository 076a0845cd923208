/**
 * Where the widget remembers its conversation id (or session token), so a
 * page reload continues the same conversation (the server sends the
 * history back).
 */
export type PersistMode = 'local' | 'session' | 'none';

export function parsePersistMode(value: string | null | undefined): PersistMode {
  return value === 'session' || value === 'none' ? value : 'local';
}

function storage(mode: PersistMode): Storage | undefined {
  try {
    if (mode === 'local') return localStorage;
    if (mode === 'session') return sessionStorage;
  } catch {
    // Storage access throws in sandboxed frames and with cookies blocked: behave as 'none'.
  }
  return undefined;
}

/** The storage key for a chat server: one conversation per server URL. */
export function conversationKey(socketUrl: string): string {
  return `ai-stream-chat:conversation:${socketUrl}`;
}

/** The storage key for a session-url's token: one per session endpoint. */
export function sessionKey(sessionUrl: string): string {
  return `ai-stream-chat:session:${sessionUrl}`;
}

export function loadItem(mode: PersistMode, key: string): string | undefined {
  try {
    return storage(mode)?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveItem(mode: PersistMode, key: string, value: string | undefined): void {
  try {
    const store = storage(mode);
    if (value === undefined) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // Quota or privacy settings: the conversation just will not survive a reload.
  }
}
