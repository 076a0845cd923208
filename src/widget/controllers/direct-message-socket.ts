/**
 * partysocket hands each message to its listeners as a copy, `new
 * MessageEvent(event.type, event)`, made even when nobody listens. At 1000
 * tokens/s that copy was about a quarter of the widget's main-thread work
 * (bench:render). So the WebSocket class partysocket constructs (its public
 * `WebSocket` option) routes the message listener partysocket registers on
 * each underlying socket to ours instead: frames arrive as the browser
 * delivered them. Open, close and error still go through partysocket, which
 * needs them for reconnecting; it uses messages for nothing but re-dispatch.
 *
 * Only partysocket's listener is rerouted, and nobody else's: partysocket
 * registers it right after constructing the socket, so the class reroutes
 * the first message listener added once its constructor has returned.
 * Listeners added while the socket is being constructed (a page tool that
 * subclasses or wraps `WebSocket`, as monitoring and session-replay agents
 * do, listens from its constructor) and any added after partysocket's go to
 * the socket unchanged and see every frame.
 */
export type WebSocketClass = typeof WebSocket;

export function deliveringMessagesTo(
  onMessage: (event: MessageEvent) => void,
  Base: WebSocketClass,
): WebSocketClass {
  const listener = (event: MessageEvent): void => onMessage(event);
  return class DirectMessageSocket extends Base {
    /**
     * partysocket's message listener, replaced by ours on the socket; null
     * until it is added. Class fields are set once the base constructor has
     * returned, so while it runs `#rerouted in this` is false.
     */
    #rerouted: EventListenerOrEventListenerObject | null = null;

    override addEventListener(
      type: string,
      callback: EventListenerOrEventListenerObject,
      options?: AddEventListenerOptions | boolean,
    ): void {
      if (type === 'message' && #rerouted in this && this.#rerouted === null) {
        this.#rerouted = callback;
        super.addEventListener(type, listener as EventListener, options);
        return;
      }
      super.addEventListener(type, callback, options);
    }

    override removeEventListener(
      type: string,
      callback: EventListenerOrEventListenerObject,
      options?: EventListenerOptions | boolean,
    ): void {
      if (type === 'message' && #rerouted in this && callback === this.#rerouted) {
        super.removeEventListener(type, listener as EventListener, options);
        return;
      }
      super.removeEventListener(type, callback, options);
    }
  };
}
