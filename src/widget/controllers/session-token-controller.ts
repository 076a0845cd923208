/**
 * Session tokens for hosts with a `session-url` (session-tokens.ts does the
 * fetching and storing): a fresh token in the URL of every connection, a
 * renewal after the server closed with 4001, none for a new conversation.
 */
import { CloseCode } from '../../protocol/index.js';
import { parsePersistMode, sessionKey } from '../persistence.js';
import { SessionTokens } from '../session-tokens.js';

/** The host's attributes that say where tokens come from and where they are kept. */
interface TokenHost {
  sessionUrl: string;
  persist: string;
}

/** Reads its host's attributes on every connection; it needs no lifecycle hook. */
export class SessionTokenController {
  /** Tokens for the current session-url and persist mode. */
  private tokens: SessionTokens | undefined;

  constructor(private readonly host: TokenHost) {}

  /**
   * `socketUrl` with a session token (new or renewed) in its `token`
   * parameter, which also names the conversation, given to `onConversation`;
   * `socketUrl` itself without a session-url.
   */
  async connectUrl(socketUrl: string, onConversation: (conversationId: string) => void): Promise<string> {
    const { sessionUrl } = this.host;
    if (!sessionUrl) return socketUrl;
    const persist = parsePersistMode(this.host.persist);
    const key = sessionKey(new URL(sessionUrl, location.href).href);
    if (this.tokens?.matches(key, persist) !== true)
      this.tokens = new SessionTokens(sessionUrl, persist, key);
    const session = await this.tokens.current();
    onConversation(session.conversationId);
    const url = new URL(socketUrl);
    url.searchParams.set('token', session.token);
    return url.href;
  }

  /** The socket closed with `code`: after 4001 (token expired) the next connection renews first. */
  socketClosed(code: number): void {
    if (code === CloseCode.TokenExpired) this.tokens?.expired();
  }

  /** Forgets the token, for a new conversation. */
  forget(): void {
    this.tokens?.forget();
  }
}
