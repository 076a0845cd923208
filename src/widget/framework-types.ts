/**
 * Typings for frameworks' templates: `<ai-stream-chat>` in React 19's JSX
 * and in Vue 3's `GlobalComponents`. Types only: nothing here reaches the
 * bundle. Property types are picked from the element class, so they follow
 * it; test/package/consumers.test.ts type-checks every property and event
 * custom-elements.json lists through them, so a new one they lack fails it.
 *
 * The `declare module` blocks augment React's and Vue's types where a project
 * has them and do nothing where it has not; they name no React or Vue type,
 * so they type-check either way (also without `skipLibCheck`), and the
 * package needs neither.
 */
import type { AiStreamChat } from './ai-stream-chat.js';
import type { AiStreamChatEventMap } from './events.js';

/** The properties a page sets (each has an attribute too: see README, "Attributes"). */
export type AiStreamChatProperties = Partial<
  Pick<
    AiStreamChat,
    | 'url'
    | 'sessionUrl'
    | 'conversationId'
    | 'persist'
    | 'heading'
    | 'placeholder'
    | 'theme'
    | 'mode'
    | 'open'
    | 'allowImages'
    | 'allowHtml'
    | 'params'
    | 'welcomeMessage'
    | 'strings'
    | 'lang'
    | 'dir'
  >
>;

/** React 19 listens for a custom element's event `x` through the prop `onx`: `onai-chat-answer-done`. */
export type AiStreamChatReactEvents = {
  [K in keyof AiStreamChatEventMap as `on${K}`]?: (event: AiStreamChatEventMap[K]) => void;
};

/** `ai-chat-answer-done` → `AiChatAnswerDone`. */
type PascalCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Capitalize<Head>}${PascalCase<Tail>}`
  : Capitalize<S>;

/** Vue's type checker reads `@ai-chat-answer-done` in a template as the prop `onAiChatAnswerDone`. */
export type AiStreamChatVueEvents = {
  [K in keyof AiStreamChatEventMap as `on${PascalCase<K>}`]?: (event: AiStreamChatEventMap[K]) => void;
};

/** A ref to the element, as React's `useRef` and ref callbacks give it. */
export type AiStreamChatRef =
  | { current: AiStreamChat | null }
  | ((element: AiStreamChat | null) => unknown)
  | null;

/**
 * React's props of an element with none of its own (`<abbr>`'s: `className`,
 * `style`, `onClick`, …), read from React's own IntrinsicElements so that
 * this file names no React type: without React installed it then type-checks
 * on its own (it is checked, though it augments nothing).
 */
export type ReactElementProps<Elements> = Elements extends { abbr: infer Props }
  ? Omit<Props, 'ref'>
  : unknown;

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'ai-stream-chat': ReactElementProps<this> &
        AiStreamChatProperties &
        AiStreamChatReactEvents & { ref?: AiStreamChatRef };
    }
  }
}

// Vue's type checker takes a component's props from its instances' `$props`.
declare module 'vue' {
  interface GlobalComponents {
    'ai-stream-chat': new () => { $props: AiStreamChatProperties & AiStreamChatVueEvents };
  }
}
