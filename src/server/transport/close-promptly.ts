import type { WebSocket } from 'ws';

/**
 * How long a socket the server closes may take to answer the close frame
 * before it is dropped. ws waits 30 s for the answer; a client that stopped
 * reading never gives one, and would hold its connection (and its place in
 * the caps) that long after its deadline.
 */
export const CLOSE_GRACE_MS = 2000;

/**
 * Closes `socket` with `code`, and terminates it if the close handshake is
 * not done within `CLOSE_GRACE_MS`: a client that reads again by then still
 * sees the code, one that does not is gone a moment after its deadline.
 */
export function closePromptly(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  if (socket.readyState === socket.CLOSED) return;
  const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
