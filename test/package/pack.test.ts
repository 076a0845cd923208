/**
 * The npm package as a user gets it: `npm pack`, install the tarball into an
 * empty project, then import it the ways the README shows: a bundler import
 * (Vite builds `import 'ai-stream-chat'`), the CDN-style classic script file,
 * the types and the custom elements manifest, and the dev-server bin.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'vite';

const root = new URL('../..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('packed tarball', () => {
  let dir: string;
  let installed: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-stream-chat-pack-'));
    const tarball = execFileSync(npm, ['pack', '--silent', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .at(-1) as string;
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], {
      cwd: dir,
      stdio: 'ignore',
    });
    installed = join(dir, 'node_modules', 'ai-stream-chat');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the bundles, types and manifest its package.json points to, and nothing of the sources', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const file of [
      pkg.exports['.'].import,
      pkg.exports['.'].types,
      pkg.exports['./iife'],
      pkg.customElements,
    ]) {
      assert.ok(existsSync(join(installed, file)), `${file} is in the package`);
    }
    assert.equal(existsSync(join(installed, 'src')), false);
    const manifest = JSON.parse(readFileSync(join(installed, pkg.customElements), 'utf8'));
    const element = manifest.modules
      .flatMap((m: { declarations: { tagName?: string }[] }) => m.declarations)
      .find((d: { tagName?: string }) => d.tagName === 'ai-stream-chat');
    assert.ok(element, 'the manifest describes <ai-stream-chat>');
  });

  it('a bundler import of "ai-stream-chat" builds and registers the element', async () => {
    writeFileSync(
      join(dir, 'main.js'),
      "import { AiStreamChat } from 'ai-stream-chat';\nconsole.log(AiStreamChat.name);\n",
    );
    const output = await build({
      root: dir,
      logLevel: 'silent',
      configFile: false,
      build: { write: false, lib: { entry: join(dir, 'main.js'), formats: ['es'], fileName: 'out' } },
    });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) =>
      'output' in o ? o.output : [],
    );
    const code = chunks.map((c) => ('code' in c ? c.code : '')).join('\n');
    assert.match(code, /customElements\.define/);
    assert.match(code, /ai-stream-chat/);
  });

  it('importing "ai-stream-chat" in Node (server rendering) defines nothing, starts nothing, throws nothing', () => {
    const script = `
      const globalsBefore = Object.getOwnPropertyNames(globalThis).sort().join();
      const resourcesBefore = process.getActiveResourcesInfo();
      const widget = await import('ai-stream-chat');
      await new Promise((resolve) => setImmediate(resolve));
      const globalsChanged = Object.getOwnPropertyNames(globalThis).sort().join() !== globalsBefore;
      // Timers, sockets, handles the import left running (the loader's own file reads end by now).
      const resourcesAdded = process.getActiveResourcesInfo().filter((r) => !resourcesBefore.includes(r));
      let constructed;
      try { new widget.AiStreamChat(); constructed = 'no error'; } catch (error) { constructed = error.message; }
      let browserBundle = 'imported';
      try { await import('./node_modules/ai-stream-chat/dist/ai-stream-chat.js'); } catch (error) { browserBundle = error.name; }
      console.log(JSON.stringify({
        exports: Object.keys(widget).sort(),
        tag: widget.TAG_NAME,
        socketUrl: widget.defaultSocketUrl('https://shop.example/page'),
        globalsChanged,
        resourcesAdded,
        constructed,
        browserBundle,
      }));
    `;
    writeFileSync(join(dir, 'server-render.mjs'), script);
    const out = JSON.parse(
      execFileSync(process.execPath, [join(dir, 'server-render.mjs')], { cwd: dir, encoding: 'utf8' }),
    );
    // The browser bundle's exports, from its one export statement, so the two entries cannot drift.
    const bundle = readFileSync(join(installed, 'dist/ai-stream-chat.js'), 'utf8');
    const exportList = bundle.match(/export\s*\{([^}]*)\}\s*;?\s*(\/\/# sourceMappingURL=.*)?\s*$/)?.[1];
    assert.ok(exportList, 'the browser bundle ends with one export statement');
    const browserExports = exportList
      .split(',')
      .map((entry) =>
        entry
          .trim()
          .split(/\s+as\s+/)
          .at(-1),
      )
      .sort();
    assert.deepEqual(out, {
      exports: browserExports,
      tag: 'ai-stream-chat',
      socketUrl: 'wss://shop.example/ws',
      globalsChanged: false,
      resourcesAdded: [],
      constructed:
        '<ai-stream-chat> runs in the browser: render the tag on the server, and the browser upgrades it',
      // The browser bundle itself needs a DOM: the export conditions are what keeps Node away from it.
      browserBundle: 'ReferenceError',
    });
  });

  it('the classic-script file defines one global and the element, with every dependency inside', () => {
    const code = readFileSync(join(installed, 'dist/ai-stream-chat.iife.js'), 'utf8');
    assert.ok(code.startsWith('var AiStreamChat=('), 'one global, no module syntax');
    assert.ok(code.includes('customElements'));
  });

  it('the server library imports as ai-stream-chat/server: the README embedding example runs', () => {
    // The README's Library API example in plain JS: own http.Server, own token
    // source, own authorize hook, session, a conversation, then drain.
    const script = `
      import { createServer } from 'node:http';
      import WebSocket from 'ws';
      import { createChatServer, CloseCode } from 'ai-stream-chat/server';
      const echo = {
        async *generate({ messages, signal }) {
          for (const word of ('You said: ' + messages.at(-1).content).split(/(?<= )/)) {
            if (signal.aborted) break;
            yield word;
          }
          return { finishReason: 'stop', usage: null };
        },
      };
      const chat = createChatServer({
        source: echo,
        path: '/chat/ws',
        auth: { secret: 'x'.repeat(32), sessionPath: '/chat/session', authorize: (r) => r.headers.cookie === 'session=1' },
      });
      const http = createServer((request, response) => {
        if (chat.handleRequest(request, response)) return;
        response.writeHead(404).end();
      });
      chat.attach(http);
      await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
      const base = '127.0.0.1:' + http.address().port;
      const refused = await fetch('http://' + base + '/chat/session', { method: 'POST' });
      const session = await (await fetch('http://' + base + '/chat/session', { method: 'POST', headers: { cookie: 'session=1' } })).json();
      const ws = new WebSocket('ws://' + base + '/chat/ws?token=' + session.token);
      let text = '';
      const closed = new Promise((resolve) => ws.on('close', resolve));
      await new Promise((resolve) => {
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'hello', v: 1 }));
          ws.send(JSON.stringify({ type: 'send', clientMsgId: 'a', text: 'hello there' }));
        });
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data));
          if (frame.type === 'delta') text += frame.text;
          if (frame.type === 'done') resolve();
        });
      });
      const drained = chat.drain(1000);
      const code = await closed;
      await drained;
      http.close();
      console.log(JSON.stringify({ refused: refused.status, text, code, goingAway: CloseCode.GoingAway }));
    `;
    writeFileSync(join(dir, 'embed.mjs'), script);
    const out = JSON.parse(
      execFileSync(process.execPath, [join(dir, 'embed.mjs')], { cwd: dir, encoding: 'utf8' }),
    );
    assert.deepEqual(out, { refused: 401, text: 'You said: hello there', code: 1001, goingAway: 1001 });
  });

  it('the dev-server bin runs', () => {
    const help = execFileSync(join(dir, 'node_modules', '.bin', 'ai-stream-chat-server'), ['--help'], {
      encoding: 'utf8',
    });
    assert.match(help, /--port/);
  });
});
