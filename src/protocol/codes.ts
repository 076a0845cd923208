/**
 * Error codes carried by `error` frames and WebSocket close codes.
 * PROTOCOL.md documents what a client must do on each one.
 */
export const ErrorCode = {
  /** The frame was not valid JSON. */
  BadJson: 'bad_json',
  /** The frame's `type` is not one this side knows. */
  UnknownType: 'unknown_type',
  /** A known frame whose fields have the wrong shape. */
  BadFrame: 'bad_frame',
  /** A frame other than `hello` arrived before `welcome`, `hello` twice, or feedback on an answer still streaming. */
  BadState: 'bad_state',
  /** Binary frames are not part of the protocol. */
  BinaryFrame: 'binary_frame',
  /** Message text longer than the server's `limits.maxTextLength`. */
  TextTooLong: 'text_too_long',
  /** The `params` of a `send` are outside what the server allows. */
  BadParams: 'bad_params',
  /** The referenced message (in `cancel`, `feedback` or `hello.resume`) is not in this conversation. */
  UnknownMessage: 'unknown_message',
  /** The model source failed while producing an answer. */
  SourceFailed: 'source_failed',
  /** Something unexpected went wrong on the server. */
  Internal: 'internal',
  /** The session token does not open that conversation (or message); do not retry. */
  Forbidden: 'forbidden',
  /** Frames arrive faster than the server's rate limit; retry after `retryAfterMs`. */
  RateLimited: 'rate_limited',
  /** Too many messages already wait for an answer in this conversation; send again once one is answered. */
  Busy: 'busy',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** Frame larger than the server accepts (RFC 6455). */
  TooBig: 1009,
  /** 4000–4499: the client should reconnect (after backoff). */
  Reconnect: 4000,
  /** The session token expired: fetch a new one from the session URL, reconnect and resume. */
  TokenExpired: 4001,
  /** The client read too slowly; reconnect and resume. */
  SlowConsumer: 4008,
  /** Too many new conversations from this address, or the server holds all it can; reconnect after `retryAfterMs`. */
  TooMany: 4029,
  /** No `hello` arrived in time after the socket opened. */
  HandshakeTimeout: 4408,
  /** The client sent no frame for the server's idle timeout; reconnect when next needed. */
  IdleTimeout: 4409,
  /** 4500–4999: the client must stop and show the reason. */
  Forbidden: 4503,
  ProtocolVersionUnsupported: 4505,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Whether a close code tells the client to reconnect rather than give up. */
export function shouldReconnectAfterClose(code: number): boolean {
  if (code >= 4500 && code <= 4999) return false;
  return true;
}
