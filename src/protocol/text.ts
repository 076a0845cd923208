/** How the protocol measures and checks text (PROTOCOL.md section 3). */

/**
 * The length of a text as the protocol counts it (`limits.maxTextLength`):
 * Unicode code points, so an emoji counts as one character in every
 * language, not as two UTF-16 units as JavaScript's `length` has it.
 */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}

/** A lone surrogate: half a character, which UTF-8 (Python, Go, Rust) cannot encode without loss. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `text` is whole characters (PROTOCOL.md section 3): no lone surrogate anywhere. */
export function isWholeCharacters(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
