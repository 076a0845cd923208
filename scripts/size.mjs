/**
 * Size budget of the bundles README tells people to load, checked by `npm
 * test`: gzip of dist/ai-stream-chat.js (module) and of
 * dist/ai-stream-chat.iife.js (classic script) must each stay at or under the
 * budget. Prints the breakdown by package (and by file of our own) of the
 * classic script (the module holds the same code), read from the bundle's
 * source map: each minified byte is charged to the source it came from, and
 * each package's share of the gzip size is its share of the minified bytes.
 * Usage: node scripts/size.mjs [--json]
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 60 * 1024;
const root = new URL('..', import.meta.url).pathname;
/** Every file README tells people to load; each must fit the budget. */
export const BUNDLES = ['dist/ai-stream-chat.js', 'dist/ai-stream-chat.iife.js'];

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** One source-map segment's base64 VLQ fields (also read by the bundle-output test). */
export function decodeVlq(segment) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = B64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** Minified bytes per source file, from the source map's mappings. */
function bytesBySource(code, map) {
  const lines = code.split('\n');
  const totals = new Map();
  let source = 0;
  map.mappings.split(';').forEach((line, lineIndex) => {
    const text = lines[lineIndex] ?? '';
    let column = 0;
    const segments = line === '' ? [] : line.split(',').map(decodeVlq);
    segments.forEach((seg, i) => {
      column += seg[0];
      if (seg.length > 1) source += seg[1];
      let next = text.length;
      if (i + 1 < segments.length) next = column + segments[i + 1][0];
      const name = seg.length > 1 ? map.sources[source] : '(unmapped)';
      totals.set(name, (totals.get(name) ?? 0) + Math.max(0, next - column));
    });
  });
  return totals;
}

function groupOf(source) {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = source.slice(nm + 13).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return source.replace(/^(\.\.\/)+/, '');
}

export function measure(bundle = 'dist/ai-stream-chat.iife.js') {
  const file = `${root}${bundle}`;
  const code = readFileSync(file, 'utf8');
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
  const gzip = gzipSync(code, { level: 9 }).length;
  const groups = new Map();
  for (const [source, bytes] of bytesBySource(code, map)) {
    const group = groupOf(source);
    groups.set(group, (groups.get(group) ?? 0) + bytes);
  }
  const rows = [...groups]
    .map(([name, bytes]) => ({ name, bytes, gzip: Math.round((bytes / code.length) * gzip) }))
    .sort((a, b) => b.bytes - a.bytes);
  return { raw: code.length, gzip, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = BUNDLES.map((bundle) => ({ bundle, ...measure(bundle) }));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const { rows } = results.find((r) => r.bundle.endsWith('.iife.js'));
    for (const r of rows)
      process.stdout.write(
        `${r.name.padEnd(52)} ${kb(r.bytes).padStart(9)} ≈${kb(r.gzip).padStart(9)} gzip\n`,
      );
    process.stdout.write('\n');
    for (const { bundle, raw, gzip } of results)
      process.stdout.write(
        `${bundle}: ${kb(raw)} minified, ${kb(gzip)} gzip; budget ${kb(BUDGET_BYTES)} gzip\n`,
      );
  }
  const over = results.filter((r) => r.gzip > BUDGET_BYTES);
  for (const { bundle, gzip } of over)
    process.stderr.write(`${bundle} is over budget by ${gzip - BUDGET_BYTES} bytes\n`);
  if (over.length > 0) process.exit(1);
}
