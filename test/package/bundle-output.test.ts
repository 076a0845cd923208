/**
 * What `npm run build` ships to pages (run it first; `npm test` does): both
 * bundles are pure ASCII, so a page in any encoding decodes them right, and
 * their source maps send each property name back to the source line that
 * has it (the template minifier removes line breaks, so a plugin without a
 * map would shift every later line), and they leave out marked's default
 * instance, which the widget never uses, and partysocket's debug logging and
 * long advice to developers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { firstNonAscii } from '../../scripts/ascii-only.mjs';
import { withoutDefaultInstance } from '../../scripts/drop-marked-default.mjs';
import { decodeVlq } from '../../scripts/size.mjs';
import { trimPartySocket } from '../../scripts/trim-partysocket.mjs';

const root = new URL('../..', import.meta.url).pathname;
const BUNDLES = ['dist/ai-stream-chat.js', 'dist/ai-stream-chat.iife.js'];

interface Mapping {
  line: number;
  column: number;
  source: string;
  originalLine: number;
}

/** Every mapped segment of a source map, generated position first (0-based lines and columns). */
function mappings(map: { sources: string[]; mappings: string }): Mapping[] {
  const out: Mapping[] = [];
  let source = 0;
  let originalLine = 0;
  map.mappings.split(';').forEach((lineText, line) => {
    let column = 0;
    for (const segment of lineText === '' ? [] : lineText.split(',')) {
      const [dc, ds, dl] = decodeVlq(segment);
      column += dc ?? 0;
      if (ds === undefined || dl === undefined) continue;
      source += ds;
      originalLine += dl;
      out.push({ line, column, source: map.sources[source] ?? '', originalLine });
    }
  });
  return out;
}

/** The source line a generated position comes from: the last segment at or before it on its line. */
function originalAt(all: Mapping[], line: number, column: number): Mapping | undefined {
  let found: Mapping | undefined;
  for (const m of all) {
    if (m.line === line && m.column <= column) found = m;
  }
  return found;
}

describe('shipped bundles', () => {
  for (const file of BUNDLES) {
    it(`${file} is pure ASCII`, () => {
      const code = readFileSync(`${root}${file}`, 'utf8');
      assert.equal(firstNonAscii(code), undefined);
      // The escapes are there: the strings a user sees still read right once decoded.
      assert.ok(code.includes('Ask anything\\u2026'), 'the placeholder, escaped');
    });

    it(`${file} leaves out marked's default instance and its API`, () => {
      const code = readFileSync(`${root}${file}`, 'utf8');
      // Property names survive minification: these are hung on marked's default `marked` function.
      for (const api of ['.setOptions=', '.getDefaults=', '.TextRenderer=']) {
        assert.ok(!code.includes(api), `${api} is not in the bundle`);
      }
      // The widget's own Marked is there: its renderer's options.
      assert.ok(code.includes('gfm:!0'), "the widget's Marked instance");
    });

    it(`${file} leaves out partysocket's debug calls and keeps its messages short`, () => {
      const code = readFileSync(`${root}${file}`, 'utf8');
      assert.ok(!code.includes('this._debug('), 'no debug call');
      for (const gone of ['event-target-polyfill', 'npm install ws', 'stale socket reference']) {
        assert.ok(!code.includes(gone), `"${gone}" is not in the bundle`);
      }
      assert.ok(
        code.includes('No WebSocket implementation available: set options.WebSocket'),
        'the short message',
      );
      // The socket itself is there: its reconnect option's default.
      assert.ok(code.includes('maxReconnectionDelay'), "partysocket's socket");
    });

    it(`${file}.map sends property names of the widget's sources to the lines that have them`, () => {
      const code = readFileSync(`${root}${file}`, 'utf8');
      const map = JSON.parse(readFileSync(`${root}${file}.map`, 'utf8'));
      const all = mappings(map);
      const lines = code.split('\n');
      // Property names survive minification; each is on a line below a minified template.
      const names = ['isComposing', 'secondsToRetry', 'welcomeMessage', 'serverReached', 'copiedKey'];
      for (const name of names) {
        let checked = 0;
        lines.forEach((text, line) => {
          for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
            const origin = originalAt(all, line, at);
            if (!origin?.source.includes('/src/widget/')) continue;
            const index = map.sources.indexOf(origin.source);
            const sourceText: string = map.sourcesContent[index];
            const sourceLine = sourceText.split('\n')[origin.originalLine] ?? '';
            assert.ok(
              sourceLine.includes(name),
              `${name} at ${line + 1}:${at + 1} maps to ${origin.source}:${origin.originalLine + 1}, "${sourceLine.trim()}"`,
            );
            checked++;
          }
        });
        assert.ok(checked > 0, `${name} occurs in ${file}, mapped to the widget's sources`);
      }
    });
  }
});

describe("marked's module without its default instance", () => {
  const marked = readFileSync(`${root}node_modules/marked/lib/marked.esm.js`, 'utf8');
  const exported = (code: string) =>
    (/export\{([^}]*)\}/.exec(code)?.[1] ?? '').split(',').map((entry) => entry.split(' as ').at(-1));

  it('keeps the classes and defaults the widget imports, and drops what the default instance defines', () => {
    const cut = withoutDefaultInstance(marked);
    assert.deepEqual(exported(cut).sort(), [
      'Hooks',
      'Lexer',
      'Marked',
      'Parser',
      'Renderer',
      'TextRenderer',
      'Tokenizer',
      'defaults',
      'getDefaults',
    ]);
    for (const name of ['marked', 'use', 'setOptions', 'parse', 'lexer']) {
      assert.ok(exported(marked).includes(name), `marked itself exports ${name}`);
    }
    // Only the tail went: everything before it is byte for byte the same (so the source map holds).
    const tailStart = cut.lastIndexOf('export{');
    assert.equal(marked.slice(0, tailStart), cut.slice(0, tailStart));
  });

  it('fails loudly when the module no longer has that shape', () => {
    assert.throws(() => withoutDefaultInstance('export{a as Marked};'), /default instance was not found/);
  });
});

describe("partysocket's module, trimmed", () => {
  const socket = readFileSync(`${root}node_modules/partysocket/dist/ws.js`, 'utf8');

  it('has no debug call and three one-line messages, and every line where it was (so the source map holds)', () => {
    const trimmed = trimPartySocket(socket);
    assert.ok(socket.includes('this._debug("connect"'), 'partysocket itself logs its steps');
    assert.ok(!trimmed.includes('this._debug('));
    assert.equal(trimmed.split('\n').length, socket.split('\n').length);
    const lines = socket.split('\n');
    trimmed.split('\n').forEach((line, i) => {
      // A line is the same, blanked, or where a message was shortened.
      if (line !== lines[i] && !/^(;|\);)?$/.test(line.trim()) && !/console\.|^\s*"/.test(line)) {
        assert.fail(`line ${i + 1} changed: ${line}`);
      }
    });
    for (const short of [
      `console.error("PartySocket requires a global 'EventTarget' class"`,
      'console.error("No WebSocket implementation available: set options.WebSocket"',
      '"ReconnectingWebSocket: send() after close() is buffered until reconnect()"',
    ]) {
      assert.ok(trimmed.includes(short), short);
    }
  });

  it('fails loudly when the module no longer has that shape', () => {
    assert.throws(() => trimPartySocket('class A { send() {} }'), /no debug call was found/);
    assert.throws(
      () => trimPartySocket('this._debug("x");'),
      /"PartySocket requires a global" was not found/,
    );
  });
});
