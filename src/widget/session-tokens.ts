/**
 * Session tokens for servers that require them (PROTOCOL.md section 9):
 * fetched from the `session-url` before connecting, renewed (same
 * conversation) when close to expiry or after the server closed with 4001,
 * and kept in the page's storage so a reload renews into the same
 * conversation rather than starting a new one.
 */
import type { PersistMode } from './persistence.js';
import { loadItem, saveItem } from './persistence.js';

export interface Session {
  conversationId: string;
  token: string;
  /** Epoch ms, as the server gave it. */
  expiresAt: number;
}

/** Renew when less than this is left, so a connection never starts with a token about to lapse. */
const RENEW_MARGIN_MS = 30_000;

function isSession(value: unknown): value is Session {
  const s = value as Partial<Session> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.conversationId === 'string' &&
    typeof s.token === 'string' &&
    typeof s.expiresAt === 'number'
  );
}

export class SessionTokens {
  private session: Session | undefined;
  private mustRenew = false;

  constructor(
    private readonly sessionUrl: string,
    private readonly persist: PersistMode,
    private readonly storageKey: string,
  ) {
    const stored = loadItem(persist, storageKey);
    try {
      const parsed: unknown = stored === undefined ? undefined : JSON.parse(stored);
      if (isSession(parsed)) this.session = parsed;
    } catch {
      // A corrupt entry is as good as none.
    }
  }

  /** Whether this holder serves `storageKey` with `persist` (else the element makes a new one). */
  matches(storageKey: string, persist: PersistMode): boolean {
    return storageKey === this.storageKey && persist === this.persist;
  }

  /** The server said the token expired (close 4001): the next connection renews first. */
  expired(): void {
    this.mustRenew = true;
  }

  /** Forgets the session, for a new conversation. */
  forget(): void {
    this.session = undefined;
    saveItem(this.persist, this.storageKey, undefined);
  }

  /** A usable session: the current one, a renewal of it, or (when renewal is refused) a new one. */
  async current(): Promise<Session> {
    const session = this.session;
    if (session && !this.mustRenew && session.expiresAt - Date.now() > RENEW_MARGIN_MS) return session;
    const renewed = session ? await this.request({ token: session.token }).catch(() => undefined) : undefined;
    const next = renewed ?? (await this.request({}));
    this.session = next;
    this.mustRenew = false;
    saveItem(this.persist, this.storageKey, JSON.stringify(next));
    return next;
  }

  private async request(body: { token?: string }): Promise<Session> {
    const response = await fetch(this.sessionUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`session endpoint answered HTTP ${response.status}`);
    const data: unknown = await response.json();
    if (!isSession(data))
      throw new Error('session endpoint answered without conversationId, token, expiresAt');
    return data;
  }
}
