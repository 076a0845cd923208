/**
 * Owns the WebSocket (partysocket, for automatic reconnect) and the
 * handshake. Frames other than `hello` are only ever sent on a welcomed,
 * open socket: partysocket's own queue would flush them before our `hello`
 * on the next connection, so we never hand it a frame it would have to queue.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import ReconnectingWebSocket, { type CloseEvent } from 'partysocket/ws';
import {
  type ClientFrame,
  PROTOCOL_VERSION,
  parseServerFrame,
  type ServerFrame,
  shouldReconnectAfterClose,
} from '../../protocol/index.js';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface ConnectionCallbacks {
  /** The URL to connect to, read on every (re)connect. */
  url(): string;
  /** The conversation to ask for in `hello`. */
  conversationId(): string | undefined;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus, detail: string): void;
  /** A frame from the server failed validation: a bug or an incompatible server. */
  onProtocolError(message: string): void;
}

export class ConnectionController implements ReactiveController {
  status: ConnectionStatus = 'idle';
  private socket: ReconnectingWebSocket | undefined;
  private welcomed = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly callbacks: ConnectionCallbacks,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.close();
  }

  get isWelcomed(): boolean {
    return this.welcomed;
  }

  /** (Re)opens the connection to the callbacks' current URL. */
  open(): void {
    this.close();
    this.setStatus('connecting', '');
    const socket = new ReconnectingWebSocket(() => this.callbacks.url(), undefined, {
      maxRetries: Number.POSITIVE_INFINITY,
      maxEnqueuedMessages: 0,
      shouldReconnectOnClose: (event: CloseEvent) => shouldReconnectAfterClose(event.code),
    });
    socket.addEventListener('open', () => {
      this.welcomed = false;
      const conversationId = this.callbacks.conversationId();
      socket.send(
        JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, ...(conversationId ? { conversationId } : {}) }),
      );
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      const parsed = parseServerFrame(event.data);
      if (!parsed.ok) {
        this.callbacks.onProtocolError(parsed.message);
        return;
      }
      if (parsed.frame.type === 'welcome') {
        this.welcomed = true;
        this.setStatus('connected', '');
      }
      this.callbacks.onFrame(parsed.frame);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      this.welcomed = false;
      if (socket !== this.socket) return;
      if (shouldReconnectAfterClose(event.code)) this.setStatus('reconnecting', event.reason);
      else this.setStatus('stopped', event.reason || `closed with code ${event.code}`);
    });
    this.socket = socket;
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.welcomed = false;
    socket?.close(1000, 'widget closed');
    if (this.status !== 'idle') this.setStatus('idle', '');
  }

  /** Drops the connection and opens a new one, e.g. to resync after a gap. */
  reconnect(): void {
    this.welcomed = false;
    this.socket?.reconnect(4000, 'resync');
  }

  /** Sends a frame on a welcomed connection; returns false (sending nothing) otherwise. */
  send(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!socket || !this.welcomed || socket.readyState !== socket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    this.status = status;
    this.callbacks.onStatus(status, detail);
  }
}
