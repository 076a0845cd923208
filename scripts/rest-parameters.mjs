/**
 * A small Vite plugin: turns Babel's compiled rest parameters back into real
 * ones, in the dependencies' code, before the minifier sees them.
 *
 * Why: DOMPurify ships `function (thisArg) { for (var _len = arguments.length,
 * args = new Array(...), ...) args[_key - 1] = arguments[_key]; ... }` in the
 * wrapper through which it calls every string, regex and array method. The
 * minifier (oxc) rewrites that loop as `[...arguments].slice(1)`, which V8 runs
 * about 10x slower; in the render benchmark that wrapper alone was a third of
 * DOMPurify's time, and DOMPurify most of the widget's render work. A real
 * rest parameter is as fast as the loop and the minifier keeps it.
 *
 * The build fails if `[...arguments]` is left in the bundle, so a dependency
 * update that brings the pattern back in another shape is noticed.
 */
const LOOP = String.raw`for \(var (_len\d*) = arguments\.length, ([\w$]+) = new Array\((?:\1 > (\d) \? \1 - \3 : 0|\1)\), (_key\d*) = (\d); \4 < \1; \4\+\+\) \2\[\4(?: - \5)?\] = arguments\[\4\];`;
const COMPILED_REST = new RegExp(LOOP, 'g');
/** A function header right before the loop: `function name(a, b) {`. */
const HEADER = /function(\s+[\w$]+)?\s*\(([\w$,\s]*)\)\s*\{\s*$/;

/**
 * Rewrites each compiled rest parameter in `code`: into a real one when the
 * loop opens its function, else into `Array.prototype.slice.call`, which the
 * minifier leaves alone. Returns the new code and how many it rewrote.
 */
export function restoreRestParameters(code) {
  let count = 0;
  let out = '';
  let from = 0;
  for (const m of code.matchAll(COMPILED_REST)) {
    const [loop, , args, skipped, , start] = m;
    if (skipped !== undefined && skipped !== start) continue;
    const before = code.slice(from, m.index);
    const header = HEADER.exec(before);
    const named = header
      ? header[2]
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : [];
    if (header && String(named.length) === start) {
      // Keep what followed the brace (a line break), so line numbers stay the same.
      const kept = header[0].slice(header[0].indexOf('{') + 1);
      out += `${before.slice(0, header.index)}function${header[1] ?? ''}(${[...named, `...${args}`].join(', ')}) {${kept}`;
    } else {
      out += `${before}var ${args} = Array.prototype.slice.call(arguments, ${start});`;
    }
    count++;
    from = m.index + loop.length;
  }
  return { code: out + code.slice(from), count };
}

export function restParametersPlugin() {
  return {
    name: 'ai-stream-chat:rest-parameters',
    transform(code, id) {
      if (!id.includes('/node_modules/') || !code.includes('arguments.length, ')) return null;
      const { code: rewritten, count } = restoreRestParameters(code);
      return count > 0 ? { code: rewritten, map: null } : null;
    },
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.code.includes('[...arguments]')) {
          this.error(
            `${file.fileName} contains [...arguments], which V8 runs ~10x slower than a rest parameter: ` +
              'see scripts/rest-parameters.mjs',
          );
        }
      }
    },
  };
}
