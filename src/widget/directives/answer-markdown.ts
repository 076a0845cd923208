/**
 * Each answer's markdown: the one place that starts a MarkdownStream on the
 * answer's element, feeds it (deltas as they arrive, whole texts when
 * messages change), and disposes of it when the element leaves the page.
 * Feeding happens outside Lit's render, as the session reports changes, so a
 * delta costs no template update.
 */
import { type ElementPart, noChange } from 'lit';
import { AsyncDirective, directive } from 'lit/async-directive.js';
import type { ChatMessage } from '../chat-state.js';
import type { CodeBlockLabels } from '../markdown/code-block.js';
import { MarkdownStream, type MarkdownStreamOptions } from '../markdown/markdown-stream.js';

/** What a stream renders of a message: its text, or its reasoning; complete once it can grow no more. */
type Reader = (message: ChatMessage) => [text: string, complete: boolean];

const answerText: Reader = (m) => [m.text, m.status !== 'streaming'];

export class AnswerMarkdown {
  readonly #streams = new Map<string, MarkdownStream>();

  constructor(
    /** The message with a key, as the session holds it now. */
    private readonly find: (key: string) => ChatMessage | undefined,
    /** Options for each new stream (read when an answer's element appears). */
    private readonly options: () => MarkdownStreamOptions,
    private readonly read: Reader = answerText,
  ) {}

  /** For the template: `<div class="markdown" ${answers.into(message.key)}>`. */
  into(key: string): ReturnType<typeof streamInto> {
    return streamInto(this, key);
  }

  /** What a frame added (`appended`), or, when undefined, the message changed otherwise. */
  textChanged(message: ChatMessage, appended: string | undefined): void {
    const stream = this.#streams.get(message.key);
    if (appended !== undefined) stream?.append(appended);
    else stream?.update(...this.read(message));
  }

  /** Messages changed (added, finished, replaced by a welcome): every stream takes its message's text. */
  refresh(messages: readonly ChatMessage[]): void {
    for (const message of messages) this.#streams.get(message.key)?.update(...this.read(message));
  }

  /** Whether a finished answer is still being rendered. */
  get catchingUp(): boolean {
    for (const stream of this.#streams.values()) if (stream.catchingUp) return true;
    return false;
  }

  /** New labels for code blocks (the `strings` changed). */
  relabel(labels: CodeBlockLabels): void {
    for (const stream of this.#streams.values()) stream.relabel(labels);
  }

  /** Stops every stream, for a new conversation. */
  clear(): void {
    for (const stream of this.#streams.values()) stream.dispose();
    this.#streams.clear();
  }

  /**
   * Renders the answer `key` into `element` (from empty: after a move it shows the answer already).
   * In a render (a frame), its first blocks go in the same frame as the element: the first
   * reasoning token is painted with its disclosure, not a frame later.
   */
  attach(key: string, element: HTMLElement, inFrame = false): void {
    this.detach(key);
    element.replaceChildren();
    const stream = new MarkdownStream(element, this.options());
    this.#streams.set(key, stream);
    const message = this.find(key);
    if (message) stream.update(...this.read(message));
    if (inFrame) stream.renderNow();
  }

  detach(key: string): void {
    this.#streams.get(key)?.dispose();
    this.#streams.delete(key);
  }
}

/** Binds an answer's element (it goes in an element's tag) to its stream while the element is in the page. */
class StreamInto extends AsyncDirective {
  #owner: AnswerMarkdown | undefined;
  #key = '';
  #element: HTMLElement | undefined;

  render(_owner: AnswerMarkdown, _key: string): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [owner, key]: [AnswerMarkdown, string]): typeof noChange {
    const element = part.element as HTMLElement;
    if (element !== this.#element || key !== this.#key || owner !== this.#owner) {
      this.#owner = owner;
      this.#key = key;
      this.#element = element;
      owner.attach(key, element, true);
    }
    return noChange;
  }

  protected override disconnected(): void {
    this.#owner?.detach(this.#key);
  }

  protected override reconnected(): void {
    if (this.#element) this.#owner?.attach(this.#key, this.#element);
  }
}

const streamInto = directive(StreamInto);
