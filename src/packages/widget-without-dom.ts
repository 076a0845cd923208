/**
 * The package's `ai-stream-chat` entry where there is no DOM: Node, Deno,
 * edge runtimes and React server components load it through the `node`,
 * `deno`, `workerd`, `edge-light` and `react-server` export conditions, so a
 * page that imports `ai-stream-chat` at its top renders on the server. It
 * defines nothing, touches no global and starts nothing; the tag it renders
 * is upgraded in the browser, where the same import loads the widget bundle.
 * It has the browser entry's exports (a test compares the two lists) and
 * shares its typings.
 */

export const TAG_NAME = 'ai-stream-chat';

/** As in the browser, but with no page to be relative to, `base` is required. */
export function defaultSocketUrl(base?: string): string {
  if (base === undefined)
    throw new TypeError('defaultSocketUrl(base): outside the browser, pass the page URL');
  const url = new URL('/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** Stands in for the element class, which exists only in the browser (it extends HTMLElement). */
export class AiStreamChat {
  constructor() {
    throw new Error(
      '<ai-stream-chat> runs in the browser: render the tag on the server, and the browser upgrades it',
    );
  }
}
