/**
 * A small Vite plugin: collapses the whitespace in the static parts of Lit's
 * `html` and `css` tagged templates in the widget's own sources, which the JS
 * minifier leaves untouched (template text is data to it). In `css` it also
 * drops comments and the spaces around punctuation (compactCss). Whitespace that contains a line break becomes one space, so
 * inline spacing in `html` stays as written; `<pre>`/`<textarea>` content is
 * never written inline in these templates.
 */
import { RolldownMagicString } from 'rolldown';

const TAG = /\b(html|css)`/g;

/**
 * CSS text without comments and with no whitespace that means nothing: runs
 * collapse to one space, and none is kept next to `{`, `}`, `;` or `,`, nor
 * after `:` (no selector has one there). Quoted strings stay as written; `+`
 * and `-` keep their spaces (calc() needs them), and so does `(`.
 */
function compactCss(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(/("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/\s+/g, ' ')
            .replace(/ ?([{};,]) ?/g, '$1')
            .replace(/: /g, ':')
            .replace(/;}/g, '}'),
    )
    .join('');
}

/** Returns the index just past the template literal whose content starts at `i`; records rewrites of its text parts in `edits`. */
function scanTemplate(src, i, kind, edits) {
  let textStart = i;
  const flush = (end) => {
    const text = src.slice(textStart, end);
    let t = text;
    if (kind === 'css') t = compactCss(t);
    else if (kind === 'html') t = t.replace(/\s*\n\s*/g, ' ');
    if (t !== text) edits.push({ start: textStart, end, text: t });
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '`') {
      flush(i);
      return i + 1;
    } else if (c === '$' && src[i + 1] === '{') {
      flush(i);
      i = scanExpression(src, i + 2, edits);
      textStart = i;
    } else {
      i++;
    }
  }
  throw new Error('unterminated template literal');
}

/** Skips a `${…}` expression (which may hold strings and nested templates); returns the index past its `}`. */
function scanExpression(src, i, edits) {
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) {
      i = src[i + 1] === '/' ? src.indexOf('\n', i) : src.indexOf('*/', i) + 2;
    } else if (c === '`') {
      const tag = /\b(html|css)$/.exec(src.slice(Math.max(0, i - 4), i));
      i = scanTemplate(src, i + 1, tag ? tag[1] : 'plain', edits);
    } else if (c === "'" || c === '"') {
      i = findQuoteEnd(src, i);
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      i++;
      if (depth-- === 0) return i;
    } else {
      i++;
    }
  }
  throw new Error('unterminated template expression');
}

function findQuoteEnd(src, i) {
  const quote = src[i];
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === quote) return j + 1;
  }
  return src.length;
}

/** The rewrites of `source`'s `html` and `css` template text, in source order: `{ start, end, text }`. */
export function templateEdits(source) {
  const edits = [];
  TAG.lastIndex = 0;
  for (let match = TAG.exec(source); match; match = TAG.exec(source)) {
    TAG.lastIndex = scanTemplate(source, match.index + match[0].length, match[1], edits);
  }
  return edits;
}

export function minifyTemplates(source) {
  let out = '';
  let last = 0;
  for (const edit of templateEdits(source)) {
    out += source.slice(last, edit.start) + edit.text;
    last = edit.end;
  }
  return out + source.slice(last);
}

/**
 * The plugin returns a source map of its rewrites: removing line breaks from
 * templates moves every later line up, and without a map the bundle's source
 * map would point that many lines too early.
 * @returns {import('vite').Plugin}
 */
export function minifyTemplatesPlugin() {
  return {
    name: 'minify-lit-templates',
    transform(code, id) {
      if (!/\/src\/widget\/.*\.ts$/.test(id) || !/\b(html|css)`/.test(code)) return undefined;
      const edits = templateEdits(code);
      if (edits.length === 0) return undefined;
      const rewritten = new RolldownMagicString(code);
      for (const edit of edits) {
        if (edit.text === '') rewritten.remove(edit.start, edit.end);
        else rewritten.overwrite(edit.start, edit.end, edit.text);
      }
      const map = rewritten.generateMap({ hires: true, source: id, includeContent: true });
      return { code: rewritten.toString(), map: map.toString() };
    },
  };
}
