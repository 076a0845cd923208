/**
 * partysocket hands each message to its listeners as a copy, `new
 * MessageEvent(event.type, event)`, made even when nobody listens. At 1000
 * tokens/s that copy was about a quarter of the widget's main-thread work
 * (bench:render). So the WebSocket class partysocket constructs (its public
 * `WebSocket` option) routes the message listener partysocket registers on
 * each underlying socket to ours instead: frames arrive as the browser
 * delivered them. Open, close and error still go through partysocket, which
 * needs them for reconnecting; it uses messages for nothing but re-dispatch.
 */
export type WebSocketClass = typeof WebSocket;

export function deliveringMessagesTo(
  onMessage: (event: MessageEvent) => void,
  Base: WebSocketClass,
): WebSocketClass {
  const listener = (event: MessageEvent): void => onMessage(event);
  return class DirectMessageSocket extends Base {
    override addEventListener(
      type: string,
      callback: EventListenerOrEventListenerObject,
      options?: AddEventListenerOptions | boolean,
    ): void {
      super.addEventListener(type, type === 'message' ? (listener as EventListener) : callback, options);
    }

    override removeEventListener(
      type: string,
      callback: EventListenerOrEventListenerObject,
      options?: EventListenerOptions | boolean,
    ): void {
      super.removeEventListener(type, type === 'message' ? (listener as EventListener) : callback, options);
    }
  };
}
