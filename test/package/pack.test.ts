/**
 * The two npm packages as users get them. `npm pack` the widget (the
 * repository root, `ai-stream-chat`) and the server (packages/server,
 * `ai-stream-chat-server`, staged by scripts/stage-server-package.mjs), then:
 * - install the widget alone into an empty project: none of the server's
 *   dependencies come with it; a bundler import builds, the classic-script
 *   file, the types and the custom elements manifest are there;
 * - install the server into another: the README's library example runs, the
 *   bin runs, and the bin's `/` serves a page with the widget whose bundle
 *   `/dist/` serves (never a 404).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'vite';
import { stageServerPackage } from '../../scripts/stage-server-package.mjs';

const root = new URL('../..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** What only the server needs; the widget's bundles hold their own dependencies. */
const SERVER_DEPENDENCIES = ['ws', 'pino', 'prom-client', 'openai', 'ioredis'];

function pack(dir: string, into: string): string {
  const name = execFileSync(npm, ['pack', '--silent', '--pack-destination', into], {
    cwd: dir,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1) as string;
  return join(into, name);
}

function project(dir: string, tarballs: string[]): void {
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
    cwd: dir,
    stdio: 'ignore',
  });
}

describe('packed tarballs', () => {
  let dir: string;
  /** A project with only the widget installed. */
  let widgetProject: string;
  /** A project with the server installed (and the widget, which it depends on). */
  let serverProject: string;
  let installed: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-stream-chat-pack-'));
    const widgetTarball = pack(root, dir);
    const serverTarball = pack(stageServerPackage(), dir);
    widgetProject = join(dir, 'widget-only');
    serverProject = join(dir, 'server');
    project(widgetProject, [widgetTarball]);
    project(serverProject, [widgetTarball, serverTarball]);
    installed = join(widgetProject, 'node_modules', 'ai-stream-chat');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installing the widget installs none of the server's dependencies, nor the server", () => {
    for (const name of [...SERVER_DEPENDENCIES, 'ai-stream-chat-server']) {
      assert.equal(existsSync(join(widgetProject, 'node_modules', name)), false, `${name} is not installed`);
    }
    assert.equal(existsSync(join(widgetProject, 'node_modules', '.bin', 'ai-stream-chat-server')), false);
  });

  it('the server package asks for the same versions the repository builds and tests with', () => {
    const repo = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const server = JSON.parse(readFileSync(join(root, 'packages', 'server', 'package.json'), 'utf8'));
    assert.equal(server.version, repo.version);
    assert.equal(server.dependencies['ai-stream-chat'], repo.version);
    for (const [name, range] of Object.entries(server.dependencies)) {
      if (name !== 'ai-stream-chat') assert.equal(range, repo.devDependencies[name], name);
    }
  });

  it('the widget holds the bundles, types and manifest its package.json points to, and nothing of the sources', () => {
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
    // Of dist/node, only the inert entry for runtimes without a DOM: no server code in the widget.
    assert.deepEqual(readdirSync(join(installed, 'dist', 'node'), { recursive: true }).sort(), [
      'packages',
      'packages/widget-without-dom.js',
      'packages/widget-without-dom.js.map',
    ]);
    const manifest = JSON.parse(readFileSync(join(installed, pkg.customElements), 'utf8'));
    const element = manifest.modules
      .flatMap((m: { declarations: { tagName?: string }[] }) => m.declarations)
      .find((d: { tagName?: string }) => d.tagName === 'ai-stream-chat');
    assert.ok(element, 'the manifest describes <ai-stream-chat>');
  });

  it('a bundler import of "ai-stream-chat" builds and registers the element', async () => {
    writeFileSync(
      join(widgetProject, 'main.js'),
      "import { AiStreamChat } from 'ai-stream-chat';\nconsole.log(AiStreamChat.name);\n",
    );
    const output = await build({
      root: widgetProject,
      logLevel: 'silent',
      configFile: false,
      build: {
        write: false,
        lib: { entry: join(widgetProject, 'main.js'), formats: ['es'], fileName: 'out' },
      },
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
    writeFileSync(join(widgetProject, 'server-render.mjs'), script);
    const out = JSON.parse(
      execFileSync(process.execPath, [join(widgetProject, 'server-render.mjs')], {
        cwd: widgetProject,
        encoding: 'utf8',
      }),
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
    // One global, assigned the value of a function run at once (with or without parentheses around it: the minifier decides).
    assert.match(code, /^var AiStreamChat=\(?function\(/, 'one global');
    assert.doesNotMatch(code, /(?:^|[;}])\s*(?:export|import)\s*[{*]/m, 'no module syntax');
    assert.ok(code.includes('customElements'));
  });

  it('the server library imports as ai-stream-chat-server: the README embedding example runs', () => {
    // The README's Library API example in plain JS: own http.Server, own token
    // source, own authorize hook, session, a conversation, then drain.
    const script = `
      import { createServer } from 'node:http';
      import WebSocket from 'ws';
      import { createChatServer, CloseCode } from 'ai-stream-chat-server';
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
    writeFileSync(join(serverProject, 'embed.mjs'), script);
    const out = JSON.parse(
      execFileSync(process.execPath, [join(serverProject, 'embed.mjs')], {
        cwd: serverProject,
        encoding: 'utf8',
      }),
    );
    assert.deepEqual(out, { refused: 401, text: 'You said: hello there', code: 1001, goingAway: 1001 });
  });

  it('the server bin runs', () => {
    const help = execFileSync(
      join(serverProject, 'node_modules', '.bin', 'ai-stream-chat-server'),
      ['--help'],
      {
        encoding: 'utf8',
      },
    );
    assert.match(help, /--port/);
  });

  it("the installed bin's / serves a page with the widget, and /dist/ the bundle that page loads", async () => {
    const bin = join(serverProject, 'node_modules', '.bin', 'ai-stream-chat-server');
    const child = spawn(bin, ['--port', '0'], { cwd: serverProject, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const line = /listening on (\S+?)\/ \(WebSocket/.exec(stdout);
          if (line?.[1]) resolve(line[1]);
        });
        child.once('exit', (code) => reject(new Error(`the bin exited (${code}): ${stdout}`)));
      });
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<ai-stream-chat\b/);
      const script = /<script src="([^"]+)"><\/script>/.exec(html)?.[1];
      assert.equal(script, '/dist/ai-stream-chat.iife.js');
      const bundle = await fetch(`${base}${script}`);
      assert.equal(bundle.status, 200);
      assert.equal(await bundle.text(), readFileSync(join(root, 'dist', 'ai-stream-chat.iife.js'), 'utf8'));
    } finally {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  });
});
