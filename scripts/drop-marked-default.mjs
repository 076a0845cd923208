/**
 * A small Vite plugin: drops marked's default instance from the widget
 * bundle. marked's module ends by building a `Marked` instance and hanging
 * its API on a `marked` function (`marked.use`, `marked.setOptions`, …); the
 * property writes keep all of it in the bundle although the widget builds
 * its own `new Marked(…)` and never imports `marked` (0.15 KB gzip, and an
 * instance built on every page load). The plugin cuts that tail and the
 * exports it defines; if the widget ever imports one of them, the build
 * fails on the missing export, and if marked's module changes shape, it
 * fails here.
 */

/** marked's ES module (one minified line) without the default instance and the exports it defines. */
export function withoutDefaultInstance(code) {
  // `var v=new ne;function x(l,e){return v.parse(l,e)}x.options=…;var En=x.options,…;export{…}`
  const start = code.search(/var [\w$]+=new [\w$]+;function [\w$]+\([\w$]+,[\w$]+\)\{return [\w$]+\.parse\(/);
  const exportAt = code.lastIndexOf('export{');
  if (start < 0 || exportAt < start)
    throw new Error("marked's module changed: its default instance was not found");
  const exportEnd = code.indexOf('}', exportAt);
  const cut = code.slice(start, exportAt);
  const definedInCut = (local) =>
    new RegExp(`(?:var |function |,)${local.replaceAll('$', '\\$')}[=(]`).test(cut);
  const kept = code
    .slice(exportAt + 'export{'.length, exportEnd)
    .split(',')
    .filter((entry) => !definedInCut(entry.split(' as ')[0].trim()));
  return `${code.slice(0, start)}export{${kept.join(',')}}${code.slice(exportEnd + 1)}`;
}

export function dropMarkedDefaultInstancePlugin() {
  return {
    name: 'drop-marked-default-instance',
    transform(code, id) {
      if (!/[\\/]marked[\\/]lib[\\/]marked\.esm\.js$/.test(id)) return null;
      // The cut is at the end of the module's one line: no code before it moves, so the map stays.
      return { code: withoutDefaultInstance(code), map: null };
    },
  };
}
