/**
 * The connection as the user sees it: the socket's status, or `offline`
 * while the browser says it is, and the countdown to the next reconnect
 * attempt (the host re-renders once a second while one is scheduled). Fires
 * `ai-chat-connection-change` from the host when what is shown changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { emit, type ShownConnectionStatus } from '../events.js';
import type { ConnectionStatus } from './connection-controller.js';

export class ConnectionStatusController implements ReactiveController {
  /** Why, when the server gave a reason (e.g. the close reason of a stopped connection). */
  detail = '';
  /**
   * Whether the server has welcomed this connection at least once since it
   * was (re)opened: until then, a failed attempt means the server cannot be
   * reached, not that a connection was lost.
   */
  serverReached = false;
  #socketStatus: ConnectionStatus = 'idle';
  #online = true;
  /** When the next reconnect attempt starts (epoch ms); 0 when none is scheduled. */
  #retryAt = 0;
  #countdown: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#online = navigator.onLine;
    window.addEventListener('online', this.#onOnlineChange);
    window.addEventListener('offline', this.#onOnlineChange);
  }

  hostDisconnected(): void {
    window.removeEventListener('online', this.#onOnlineChange);
    window.removeEventListener('offline', this.#onOnlineChange);
    clearInterval(this.#countdown);
  }

  /** The socket's status, or `offline` while the browser says it is. */
  get shown(): ShownConnectionStatus {
    return this.#online ? this.#socketStatus : 'offline';
  }

  /** Whole seconds until the next reconnect attempt; 0 when none is due. */
  secondsToRetry(): number {
    return Math.max(0, Math.ceil((this.#retryAt - Date.now()) / 1000));
  }

  /** The socket's status changed; `retryAt`: when the next attempt starts, while reconnecting. */
  socketChanged(status: ConnectionStatus, detail: string, retryAt = 0): void {
    this.#change(() => {
      this.#socketStatus = status;
      if (status === 'connected') this.serverReached = true;
      else if (status === 'idle') this.serverReached = false;
      this.detail = detail;
      this.#retryAt = status === 'reconnecting' ? retryAt : 0;
    });
    clearInterval(this.#countdown);
    if (this.#retryAt > Date.now()) {
      this.#countdown = setInterval(() => {
        if (Date.now() >= this.#retryAt) clearInterval(this.#countdown);
        this.host.requestUpdate();
      }, 1000);
    }
  }

  readonly #onOnlineChange = (): void => {
    this.#change(() => {
      this.#online = navigator.onLine;
    });
  };

  #change(apply: () => void): void {
    const before = this.shown;
    apply();
    this.host.requestUpdate();
    if (this.shown !== before)
      emit(this.host, 'ai-chat-connection-change', { status: this.shown, detail: this.detail });
  }
}
