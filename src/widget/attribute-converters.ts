/** Converters of the element's JSON-object attributes (`params`, `strings`). */
import { isMessageParams } from '../protocol/server-frame-check.js';
import type { ChatStrings } from './strings.js';

/**
 * What a `params` or `strings` attribute of "[object Object]" gives: an
 * empty object the element recognises, to warn only if no property set
 * replaced it before its next update. A framework writes an object as that
 * attribute when it renders the tag before the element is defined; a server
 * renderer (Svelte's) writes it too, and then its hydration sets the
 * property, and nothing is lost.
 */
export const lostObject: Readonly<Record<string, never>> = Object.freeze({});

/** The warning for an attribute that gave `lostObject`. */
export function lostObjectWarning(name: string): string {
  return `<ai-stream-chat>: ignored the ${name} attribute "[object Object]": an object was written as an attribute, as frameworks do when they render the tag before the element is defined; render it after customElements.whenDefined('ai-stream-chat'), or set the ${name} property`;
}

/** Parses a JSON-object attribute that passes `check`; anything else is ignored with a warning. */
function jsonObjectAttribute<T extends object>(name: string, check: (value: object) => value is T) {
  return {
    fromAttribute(value: string | null): T | Readonly<Record<string, never>> {
      if (value === null || value.trim() === '') return {};
      if (value === '[object Object]') return lostObject;
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && check(parsed))
          return parsed;
      } catch {
        // reported below
      }
      console.warn(`<ai-stream-chat>: ignored the ${name} attribute: it is not a valid JSON object`);
      return {};
    },
    toAttribute(value: unknown): string {
      return JSON.stringify(value);
    },
  };
}

export const paramsAttribute = jsonObjectAttribute('params', isMessageParams);

/** Any object: resolveStrings takes its string values and ignores the rest. */
export const stringsAttribute = jsonObjectAttribute(
  'strings',
  (value): value is Partial<ChatStrings> => value !== null,
);
