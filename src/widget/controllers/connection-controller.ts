/**
 * Owns the WebSocket (partysocket, for automatic reconnect) and the
 * handshake. Frames other than `hello` are only ever sent on a welcomed,
 * open socket: partysocket's own queue would flush them before our `hello`
 * on the next connection, so we never hand it a frame it would have to queue.
 */
import ReconnectingWebSocket, { type CloseEvent } from 'partysocket/ws';
import {
  type ClientFrame,
  CloseCode,
  CompactDeltaReader,
  ErrorCode,
  PROTOCOL_VERSION,
  type ServerFrame,
  shouldReconnectAfterClose,
} from '../../protocol/index.js';
import { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.js';
import { deliveringMessagesTo, type WebSocketClass } from './direct-message-socket.js';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export type ResumePoint = { messageId: string; lastSeq: number };

export interface ConnectionCallbacks {
  /** The URL to connect to, read on every (re)connect. */
  url(): string | Promise<string>;
  /** The conversation to ask for in `hello`. */
  conversationId(): string | undefined;
  /** The answers the client holds, and how far, for `hello.resume`. */
  resumePoints(): ResumePoint[];
  onFrame(frame: ServerFrame): void;
  /** `retryAt` is when the next attempt starts (epoch ms), for `reconnecting`. */
  onStatus(status: ConnectionStatus, detail: string, retryAt?: number): void;
  /** A frame from the server failed validation: a bug or an incompatible server. */
  onProtocolError(message: string): void;
  /** The socket closed with `code` (before any reconnect). */
  onClose?(code: number): void;
}

/** How long a client waits for `welcome` after sending `hello` before it reconnects (PROTOCOL.md section 5). */
export const WELCOME_TIMEOUT_MS = 20_000;

export interface ConnectionOptions {
  backoff?: BackoffOptions;
  /** Default WELCOME_TIMEOUT_MS. */
  welcomeTimeoutMs?: number;
  /** A WebSocket implementation, for running outside browsers (tests use `ws`). */
  WebSocket?: unknown;
  /**
   * Ask for the parts of answers beside their text (PROTOCOL.md section 16):
   * the state then holds each answer's reasoning, tool steps and sources.
   * Off in the widget until its view shows them.
   */
  parts?: boolean;
}

/** Lit's ReactiveControllerHost, reduced to what this controller needs. */
interface ControllerHost {
  addController(controller: { hostDisconnected?(): void }): void;
}

export class ConnectionController {
  status: ConnectionStatus = 'idle';
  #socket: ReconnectingWebSocket | undefined;
  #welcomed = false;
  /** A welcome arrived since open(): a failed attempt before that means the server cannot be reached. */
  #everWelcomed = false;
  #attempt = 0;
  #lastFrameAt = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Reads the frames of the current socket, compact deltas included (PROTOCOL.md section 14). */
  readonly #frames = new CompactDeltaReader();

  readonly #callbacks: ConnectionCallbacks;
  readonly #options: ConnectionOptions;

  constructor(
    host: ControllerHost | undefined,
    callbacks: ConnectionCallbacks,
    options: ConnectionOptions = {},
  ) {
    this.#callbacks = callbacks;
    this.#options = options;
    host?.addController(this);
  }

  hostDisconnected(): void {
    this.close();
  }

  get isWelcomed(): boolean {
    return this.#welcomed;
  }

  /** (Re)opens the connection to the callbacks' current URL. */
  open(): void {
    const BaseSocket = (this.#options.WebSocket as WebSocketClass | undefined) ?? globalThis.WebSocket;
    if (typeof BaseSocket !== 'function') {
      throw new TypeError(
        'No WebSocket implementation: outside browsers, pass one as options.WebSocket (e.g. ws)',
      );
    }
    this.close();
    this.#setStatus('connecting', '');
    this.#attempt = 0;
    this.#everWelcomed = false;
    const backoff = this.#options.backoff ?? defaultBackoff;
    const socket = new ReconnectingWebSocket(
      async () => {
        // partysocket's own delay is set to zero; ours is jittered.
        const delay = backoffDelay(this.#attempt++, backoff);
        if (delay > 0) {
          this.#setStatus(
            'reconnecting',
            this.status === 'reconnecting'
              ? ''
              : this.#everWelcomed
                ? 'connection lost'
                : 'server unreachable',
            Date.now() + delay,
          );
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        return this.#callbacks.url();
      },
      undefined,
      {
        minReconnectionDelay: 0,
        maxReconnectionDelay: 0,
        maxRetries: Number.POSITIVE_INFINITY,
        maxEnqueuedMessages: 0,
        shouldReconnectOnClose: (event: CloseEvent) => shouldReconnectAfterClose(event.code),
        WebSocket: deliveringMessagesTo((event) => this.#onMessage(socket, event), BaseSocket),
      },
    );
    socket.addEventListener('open', () => {
      this.#welcomed = false;
      this.#lastFrameAt = Date.now();
      this.#frames.reset();
      const conversationId = this.#callbacks.conversationId();
      const resume = conversationId ? this.#callbacks.resumePoints() : [];
      this.#sendRaw(socket, {
        type: 'hello',
        v: PROTOCOL_VERSION,
        ...(conversationId ? { conversationId } : {}),
        ...(resume.length > 0 ? { resume } : {}),
        compact: true,
        historyPages: true,
        ...(this.#options.parts ? { parts: true } : {}),
      });
      // A server that accepts the socket but never welcomes it (its store is stuck) must not hold us forever.
      clearTimeout(this.#welcomeTimer);
      this.#welcomeTimer = setTimeout(() => {
        if (socket === this.#socket && !this.#welcomed) this.reconnect('no welcome in time');
      }, this.#options.welcomeTimeoutMs ?? WELCOME_TIMEOUT_MS);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (socket !== this.#socket) return;
      this.#callbacks.onClose?.(event.code);
      this.#welcomed = false;
      clearTimeout(this.#welcomeTimer);
      this.#stopHeartbeat();
      if (!shouldReconnectAfterClose(event.code)) {
        this.#setStatus('stopped', event.reason || `closed with code ${event.code}`);
      } else if (this.status !== 'reconnecting') {
        this.#setStatus(
          'reconnecting',
          event.reason || (this.#everWelcomed ? 'connection lost' : 'server unreachable'),
        );
      }
    });
    this.#socket = socket;
  }

  #onMessage(socket: ReconnectingWebSocket, event: MessageEvent): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = Date.now();
    if (typeof event.data !== 'string') return;
    const parsed = this.#frames.read(event.data);
    if (!parsed.ok) {
      // A frame type from a newer server is ignored (PROTOCOL.md section 2); anything else is a bug.
      if (parsed.code !== ErrorCode.UnknownType) this.#callbacks.onProtocolError(parsed.message);
      return;
    }
    if (parsed.frame.type === 'welcome' && parsed.frame.v !== PROTOCOL_VERSION) {
      this.close(CloseCode.ProtocolVersionUnsupported, `protocol version ${PROTOCOL_VERSION} only`);
      this.#setStatus(
        'stopped',
        `the server speaks protocol version ${parsed.frame.v}, not ${PROTOCOL_VERSION}`,
      );
      return;
    }
    if (parsed.frame.type === 'welcome') {
      clearTimeout(this.#welcomeTimer);
      this.#welcomed = true;
      this.#everWelcomed = true;
      this.#attempt = 0;
      this.#startHeartbeat(parsed.frame.heartbeatMs);
      this.#setStatus('connected', '');
    }
    this.#callbacks.onFrame(parsed.frame);
  }

  /** Closes the socket for good (no reconnect); `code` says why (1000: the widget is done with it). */
  close(code: number = CloseCode.Normal, reason = 'widget closed'): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#welcomed = false;
    clearTimeout(this.#welcomeTimer);
    this.#stopHeartbeat();
    socket?.close(code, reason);
    if (this.status !== 'idle') this.#setStatus('idle', '');
  }

  /** Drops the connection and opens a new one, e.g. to resync after a gap. */
  reconnect(reason: string): void {
    this.#welcomed = false;
    this.#stopHeartbeat();
    this.#socket?.reconnect(4000, reason);
  }

  /** Sends a frame on a welcomed connection; returns false (sending nothing) otherwise. */
  send(frame: ClientFrame): boolean {
    const socket = this.#socket;
    if (!socket || !this.#welcomed) return false;
    return this.#sendRaw(socket, frame);
  }

  #sendRaw(socket: ReconnectingWebSocket, frame: ClientFrame): boolean {
    if (socket.readyState !== socket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Pings every `heartbeatMs`, and treats twice that without any frame from
   * the server as a dead connection (a silent drop no close event reports).
   */
  #startHeartbeat(heartbeatMs: number): void {
    this.#stopHeartbeat();
    if (heartbeatMs <= 0) return;
    let lastPingAt = Date.now();
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      if (now - this.#lastFrameAt > 2 * heartbeatMs) {
        this.reconnect('heartbeat timeout');
        return;
      }
      if (now - lastPingAt >= heartbeatMs) {
        lastPingAt = now;
        this.send({ type: 'ping' });
      }
    }, heartbeatMs / 2);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #setStatus(status: ConnectionStatus, detail: string, retryAt?: number): void {
    this.status = status;
    this.#callbacks.onStatus(status, detail, retryAt);
  }
}
