/**
 * A small Vite plugin: collapses the whitespace in the static parts of Lit's
 * `html` and `css` tagged templates in the widget's own sources, which the JS
 * minifier leaves untouched (template text is data to it). In `css` it also
 * drops comments. Whitespace that contains a line break becomes one space, so
 * inline spacing in `html` stays as written; `<pre>`/`<textarea>` content is
 * never written inline in these templates.
 */
const TAG = /\b(html|css)`/g;

/** Returns the index just past the template literal whose content starts at `i`, rewriting its text parts. */
function scanTemplate(src, i, kind, out) {
  let text = '';
  const flush = () => {
    let t = text;
    if (kind === 'css') t = t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ');
    else t = t.replace(/\s*\n\s*/g, ' ');
    out.push(t);
    text = '';
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      text += src.slice(i, i + 2);
      i += 2;
    } else if (c === '`') {
      flush();
      out.push('`');
      return i + 1;
    } else if (c === '$' && src[i + 1] === '{') {
      flush();
      out.push('${');
      i = scanExpression(src, i + 2, out);
    } else {
      text += c;
      i++;
    }
  }
  throw new Error('unterminated template literal');
}

/** Copies a `${…}` expression (which may hold strings and nested templates); returns the index past its `}`. */
function scanExpression(src, i, out) {
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) {
      const end = src[i + 1] === '/' ? src.indexOf('\n', i) : src.indexOf('*/', i) + 2;
      out.push(src.slice(i, end));
      i = end;
    } else if (c === '`') {
      const tag = /\b(html|css)$/.exec(src.slice(Math.max(0, i - 4), i));
      out.push('`');
      i = tag ? scanTemplate(src, i + 1, tag[1], out) : scanTemplate(src, i + 1, 'plain', out);
    } else if (c === "'" || c === '"') {
      const end = findQuoteEnd(src, i);
      out.push(src.slice(i, end));
      i = end;
    } else if (c === '{') {
      depth++;
      out.push(c);
      i++;
    } else if (c === '}') {
      out.push(c);
      i++;
      if (depth-- === 0) return i;
    } else {
      out.push(c);
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

export function minifyTemplates(source) {
  const out = [];
  let last = 0;
  TAG.lastIndex = 0;
  for (let match = TAG.exec(source); match; match = TAG.exec(source)) {
    out.push(source.slice(last, match.index + match[0].length));
    last = scanTemplate(source, match.index + match[0].length, match[1], out);
    TAG.lastIndex = last;
  }
  out.push(source.slice(last));
  return out.join('');
}

/** @returns {import('vite').Plugin} */
export function minifyTemplatesPlugin() {
  return {
    name: 'minify-lit-templates',
    transform(code, id) {
      if (!/\/src\/widget\/.*\.ts$/.test(id) || !/\b(html|css)`/.test(code)) return undefined;
      return { code: minifyTemplates(code), map: null };
    },
  };
}
