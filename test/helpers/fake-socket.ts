/**
 * A stand-in for the browser's WebSocket, for tests that must control exactly
 * which frames arrive when (e.g. to see the typing indicator before the first
 * token). partysocket reads the global `WebSocket` on each connect.
 */
export class FakeSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  static sockets: FakeSocket[] = [];
  readyState = 0;
  binaryType: BinaryType = 'blob';
  bufferedAmount = 0;
  extensions = '';
  protocol = '';
  /** Frames the widget sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];

  constructor(readonly url: string) {
    super();
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
    }, 0);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: true }));
  }

  /** Delivers a frame from the "server". */
  receive(frame: Record<string, unknown>): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.sockets.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}

/** Replaces the global WebSocket with FakeSocket; returns the function that restores it. */
export function installFakeSocket(): () => void {
  const real = window.WebSocket;
  FakeSocket.sockets = [];
  window.WebSocket = FakeSocket as unknown as typeof WebSocket;
  return () => {
    window.WebSocket = real;
  };
}

export function welcomeFrame(conversationId = 'c_1'): Record<string, unknown> {
  return {
    type: 'welcome',
    v: 1,
    sessionId: 's_1',
    conversationId,
    heartbeatMs: 15000,
    limits: { maxTextLength: 8000, maxFrameBytes: 65536 },
    history: [],
    active: [],
  };
}
