/** Converters of the element's JSON-object attributes (`params`, `strings`). */
import * as v from 'valibot';
import { type MessageParams, MessageParamsSchema } from '../protocol/index.js';
import type { ChatStrings } from './strings.js';

/** Parses a JSON-object attribute that passes `check`; anything else is ignored with a warning. */
function jsonObjectAttribute<T extends object>(name: string, check: (value: object) => value is T) {
  return {
    fromAttribute(value: string | null): T | Record<string, never> {
      if (value === null || value.trim() === '') return {};
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && check(parsed))
          return parsed;
      } catch {
        // reported below
      }
      console.warn(
        value === '[object Object]'
          ? `<ai-stream-chat>: ignored the ${name} attribute "[object Object]": an object was written as an attribute, as frameworks do when they render the tag before the element is defined; render it after customElements.whenDefined('ai-stream-chat'), or set the ${name} property`
          : `<ai-stream-chat>: ignored the ${name} attribute: it is not a valid JSON object`,
      );
      return {};
    },
    toAttribute(value: unknown): string {
      return JSON.stringify(value);
    },
  };
}

export const paramsAttribute = jsonObjectAttribute('params', (value): value is MessageParams =>
  v.is(MessageParamsSchema, value),
);

/** Any object: resolveStrings takes its string values and ignores the rest. */
export const stringsAttribute = jsonObjectAttribute(
  'strings',
  (value): value is Partial<ChatStrings> => value !== null,
);
