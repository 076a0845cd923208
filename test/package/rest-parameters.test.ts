/**
 * The build plugin that undoes Babel's compiled rest parameters in the
 * dependencies (scripts/rest-parameters.mjs): the rewritten functions behave
 * as before, and the built bundle holds none of the `[...arguments]` that the
 * minifier would otherwise make of them (about 10x slower in V8).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { restoreRestParameters } from '../../scripts/rest-parameters.mjs';

const root = new URL('../..', import.meta.url).pathname;

/** Babel's output for `function name(a, ...args)`, `function (...args)` and a rest array built mid-body. */
const COMPILED = `
function apply(func, thisArg) {
  for (var _len = arguments.length, args = new Array(_len > 2 ? _len - 2 : 0), _key = 2; _key < _len; _key++) args[_key - 2] = arguments[_key];
  return func.apply(thisArg, args);
}
const all = function() {
  for (var _len4 = arguments.length, args = new Array(_len4), _key4 = 0; _key4 < _len4; _key4++) args[_key4] = arguments[_key4];
  return args;
};
function later(check, name) {
  if (check) {
    for (var _len2 = arguments.length, rest = new Array(_len2 > 2 ? _len2 - 2 : 0), _key2 = 2; _key2 < _len2; _key2++) rest[_key2 - 2] = arguments[_key2];
    return [name, ...rest];
  }
  return [];
}
return { apply, all, later };
`;

type Compiled = {
  apply: (func: (...a: number[]) => number, thisArg: unknown, ...args: number[]) => number;
  all: (...args: number[]) => number[];
  later: (check: boolean, name: string, ...rest: string[]) => string[];
};

const load = (code: string): Compiled => new Function(code)() as Compiled;

describe('restoreRestParameters', () => {
  it('rewrites each compiled rest parameter, keeping the line count', () => {
    const { code, count } = restoreRestParameters(COMPILED);
    assert.equal(count, 3);
    assert.ok(code.includes('function apply(func, thisArg, ...args) {'));
    assert.ok(code.includes('function(...args) {'));
    assert.ok(code.includes('var rest = Array.prototype.slice.call(arguments, 2);'));
    assert.ok(!code.includes('arguments.length, '));
    assert.equal(code.split('\n').length, COMPILED.split('\n').length);
  });

  it('leaves the functions behaving as before', () => {
    const before = load(COMPILED);
    const after = load(restoreRestParameters(COMPILED).code);
    const sum = (...a: number[]) => a.reduce((x, y) => x + y, 0);
    for (const f of [before, after]) {
      assert.equal(f.apply(sum, null, 1, 2, 3), 6);
      assert.equal(f.apply(sum, null), 0);
      assert.deepEqual(f.all(4, 5), [4, 5]);
      assert.deepEqual(f.all(), []);
      assert.deepEqual(f.later(true, 'n', 'x', 'y'), ['n', 'x', 'y']);
      assert.deepEqual(f.later(false, 'n', 'x'), []);
    }
  });

  it('leaves code without the pattern untouched', () => {
    const code = 'function f(a, ...b) { return arguments.length + b.length; }';
    assert.deepEqual(restoreRestParameters(code), { code, count: 0 });
  });

  it('finds all of DOMPurify’s, and the built widget has no [...arguments]', () => {
    const purify = readFileSync(`${root}node_modules/dompurify/dist/purify.es.mjs`, 'utf8');
    const { code } = restoreRestParameters(purify);
    assert.ok(!code.includes('= arguments.length, '), 'a compiled rest parameter was left in DOMPurify');
    const bundle = readFileSync(`${root}dist/ai-stream-chat.js`, 'utf8');
    assert.ok(!bundle.includes('[...arguments]'));
  });
});
