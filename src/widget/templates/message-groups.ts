/**
 * The log's messages in groups of a few, each group one `content-visibility:
 * auto` element. The browser observes every such element in every frame the
 * log scrolls (following a streaming answer scrolls it each frame), and not
 * those inside a skipped one: with a message per element that observation grew
 * with the history. A message never changes group, so its DOM (and its
 * rendered markdown) is never rebuilt. New messages join the newest group
 * while it has room. Older history (a welcome's, a page's) is grouped whole
 * when it arrives, in groups of its own filled from its newest message back,
 * so older messages never come into a group already shown, which would move
 * what the reader sees inside a group that may be skipped (older-history-controller.ts).
 */
import type { ChatMessage } from '../chat-state.js';

/** Messages per group: the observed elements are a tenth of the messages. */
const GROUP_SIZE = 10;

export interface MessageGroup {
  key: string;
  messages: ChatMessage[];
}

/** A group: its key (the key of the message placed first in it) and how many messages it was given. */
interface Placed {
  key: string;
  size: number;
}

export class MessageGroups {
  /** Each message's group, by message key. */
  #groupOf = new Map<string, Placed>();

  /**
   * Places the messages held that have no group yet (`all`: every message
   * held, shown or not) and returns those shown, in order, in their groups.
   */
  split(all: readonly ChatMessage[], shown: readonly ChatMessage[]): MessageGroup[] {
    const placed = all.findIndex((m) => this.#groupOf.has(m.key));
    const older = placed < 0 ? all.length : placed;
    // Older history: from its newest message back, never into the group after it.
    for (let i = older; i--; ) this.#place(all[i], i < older - 1 && all[i + 1], false);
    // Newer messages; one placed between two others (an answer starting after a queued question)
    // joins the group before it whatever its size, so a group is never split.
    for (let i = older; i < all.length; i++) {
      const next = all[i + 1];
      this.#place(all[i], all[i - 1], next !== undefined && this.#groupOf.has(next.key));
    }
    const groups: MessageGroup[] = [];
    for (const message of shown) {
      const key = this.#groupOf.get(message.key)?.key ?? message.key;
      const last = groups.at(-1);
      if (last?.key === key) last.messages.push(message);
      else groups.push({ key, messages: [message] });
    }
    return groups;
  }

  /** Whether the message held at this index is the oldest of its group (a slice of older history ends there). */
  startsGroup(all: readonly ChatMessage[], index: number): boolean {
    const before = all[index - 1];
    return !before || this.#groupOf.get(before.key) !== this.#groupOf.get(all[index]?.key ?? '');
  }

  /** A new conversation. */
  clear(): void {
    this.#groupOf.clear();
  }

  /** Places a message without a group in its neighbour's, if that has room (or `anyway`), else in one of its own. */
  #place(
    message: ChatMessage | undefined,
    neighbour: ChatMessage | false | undefined,
    anyway: boolean,
  ): void {
    if (!message || this.#groupOf.has(message.key)) return;
    let group = neighbour ? this.#groupOf.get(neighbour.key) : undefined;
    if (!group || !(anyway || group.size < GROUP_SIZE)) group = { key: message.key, size: 0 };
    group.size++;
    this.#groupOf.set(message.key, group);
  }
}
