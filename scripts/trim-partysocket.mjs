/**
 * A small Vite plugin: trims what partysocket says to developers from the
 * widget bundle. Its socket logs each step (`this._debug("connect", …)`) when
 * built with `debug: true`, which the widget never sets, and explains three
 * mistakes at length (no global EventTarget, no WebSocket, send() after
 * close()), with code samples for people who use partysocket directly: the
 * widget sets its options itself and runs where both globals exist. The
 * debug calls are blanked and the three messages shortened to one line each
 * (0.5 KB gzip in all), newlines kept, so every line after them stays where
 * the source map says. If partysocket's module changes shape (a call or
 * message not found), the build fails here.
 */

const DEBUG_CALL = 'this._debug(';

/** Each long message (found by a phrase in it) and the line that replaces it. */
const SHORT_MESSAGES = [
  ['PartySocket requires a global', "PartySocket requires a global 'EventTarget' class"],
  ['No WebSocket implementation available', 'No WebSocket implementation available: set options.WebSocket'],
  [
    'send() was called after close()',
    'ReconnectingWebSocket: send() after close() is buffered until reconnect()',
  ],
];

/** Index of the character that closes what opens at `at` (a parenthesis or a quote). */
function closing(code, at) {
  const open = code[at];
  let depth = 0;
  for (let i = at; i < code.length; i++) {
    const char = code[i];
    if (char === '\\') i++;
    else if (open !== '(' && i > at && char === open) return i;
    else if (open === '(' && (char === '"' || char === "'" || char === '`')) i = closing(code, i);
    else if (open === '(' && char === '(') depth++;
    else if (open === '(' && char === ')' && --depth === 0) return i;
  }
  throw new Error("partysocket's module changed: a call or string does not end");
}

/** partysocket's ws module without its debug calls and with its long messages shortened. */
export function trimPartySocket(code) {
  let out = code;
  let calls = 0;
  for (let at = out.indexOf(DEBUG_CALL); at >= 0; at = out.indexOf(DEBUG_CALL, at)) {
    const end = closing(out, at + DEBUG_CALL.length - 1);
    out = out.slice(0, at) + out.slice(at, end + 1).replace(/[^\n]/g, ' ') + out.slice(end + 1);
    calls++;
  }
  if (calls === 0) throw new Error("partysocket's module changed: no debug call was found");
  for (const [phrase, short] of SHORT_MESSAGES) {
    const at = out.indexOf(phrase);
    if (at < 0) throw new Error(`partysocket's module changed: "${phrase}" was not found`);
    const start = Math.max(out.lastIndexOf('`', at), out.lastIndexOf('"', at));
    const end = closing(out, start);
    const newlines = out.slice(start, end).split('\n').length - 1;
    out = out.slice(0, start) + JSON.stringify(short) + '\n'.repeat(newlines) + out.slice(end + 1);
  }
  return out;
}

export function trimPartySocketPlugin() {
  return {
    name: 'trim-partysocket',
    transform(code, id) {
      if (!/[\\/]partysocket[\\/]dist[\\/]ws\.js$/.test(id)) return null;
      return { code: trimPartySocket(code), map: null };
    },
  };
}
