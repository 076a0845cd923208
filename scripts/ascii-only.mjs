/**
 * A small Vite plugin: fails the build when an emitted JavaScript file holds
 * a non-ASCII character. A classic script served without a charset is decoded
 * in the page's encoding (windows-1252 on many older sites), so a raw `…` in
 * the bundle shows as `â€¦`. The minifier's `charset: 'ascii'` escapes
 * strings, regexes and identifiers; it cannot escape the text of a tagged
 * template (the tag may read the raw text), so such text must be written with
 * an HTML entity or an escape in the source, and this check says where.
 */

/** The first character in `code` that is not printable ASCII (tab and line breaks allowed), with some context. */
export function firstNonAscii(code) {
  const match = /[^\t\n\r\x20-\x7e]/.exec(code);
  if (!match) return undefined;
  const at = match.index;
  return {
    index: at,
    character: match[0],
    context: code.slice(Math.max(0, at - 60), at + 20),
  };
}

/** @returns {import('vite').Plugin} */
export function asciiOnlyPlugin() {
  return {
    name: 'ai-stream-chat:ascii-only',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const found = firstNonAscii(file.code);
        if (found) {
          const code = found.character.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
          this.error(
            `${file.fileName} holds U+${code} at ${found.index}, after ${JSON.stringify(found.context)}: ` +
              'write it as an escape or an HTML entity in the source',
          );
        }
      }
    },
  };
}
