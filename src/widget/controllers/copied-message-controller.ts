/**
 * Copy under an answer: copies its markdown text, and for two seconds that
 * answer's button says "Copied" (and screen readers hear it).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage } from '../chat-state.js';

const SHOWN_MS = 2000;

export class CopiedMessageController implements ReactiveController {
  /** Key of the message whose text was just copied; '' for none. */
  key = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly announce: (copied: string) => void,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }

  /** Copies `message`'s text; `copied` is the label that says so. */
  async copy(message: ChatMessage, copied: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(message.text);
    } catch {
      return; // no clipboard access (e.g. an insecure page): the button stays as it was
    }
    this.show(message.key);
    this.announce(copied);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.show(''), SHOWN_MS);
  }

  private show(key: string): void {
    this.key = key;
    this.host.requestUpdate();
  }
}
