/** Helpers for browser tests (web-test-runner, in Chromium, Firefox and WebKit). */
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import { FakeSocket, welcomeFrame } from './fake-socket.js';

export type Engine = 'chromium' | 'firefox' | 'webkit';

const ENGINE_NAMES: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };

/** The engine this page runs in (web-test-runner runs one engine at a time: BROWSER_ENGINE). */
export function currentEngine(): Engine {
  const agent = navigator.userAgent;
  if (/\bFirefox\//.test(agent)) return 'firefox';
  if (/\b(?:Headless)?Chrome\//.test(agent)) return 'chromium';
  return 'webkit';
}

/**
 * `it`, except in the engines `unsupported` names: there the test is skipped
 * and its title says why, in one line ("… [not in WebKit: why]"), which the
 * test command lists at the end of the run.
 */
export function itExcept(
  unsupported: Partial<Record<Engine, string>>,
  title: string,
  test: Mocha.AsyncFunc,
): void {
  const engine = currentEngine();
  const reason = unsupported[engine];
  if (reason) it.skip(`${title} [not in ${ENGINE_NAMES[engine]}: ${reason}]`, test);
  else it(title, test);
}

/**
 * Presses a key, or a chord such as 'Shift+Enter'. Puppeteer (Firefox) has
 * no chords, so there the modifiers go down and up around the key; Playwright
 * and the WebKit launcher (scripts/webkit-launcher.mjs) take the chord whole.
 */
export async function press(keys: string): Promise<void> {
  const modifiers = keys.split('+');
  const key = modifiers.pop() as string;
  if (modifiers.length === 0 || currentEngine() !== 'firefox') {
    await sendKeys({ press: keys });
    return;
  }
  for (const modifier of modifiers) await sendKeys({ down: modifier });
  await sendKeys({ press: key });
  for (const modifier of modifiers.reverse()) await sendKeys({ up: modifier });
}

export interface RunningDevServer {
  pid: number;
  httpUrl: string;
  wsUrl: string;
}

/** Starts the real dev server binary, on a free port unless `port` is given (see web-test-runner.config.mjs). */
export function startDevServer(args: string[] = [], port = 0): Promise<RunningDevServer> {
  return executeServerCommand<RunningDevServer, { args: string[]; port: number }>('start-dev-server', {
    args,
    port,
  });
}

export async function stopDevServer(server: RunningDevServer | undefined): Promise<void> {
  if (server) await executeServerCommand('stop-dev-server', { pid: server.pid });
}

/** Waits until the dev server counts `count` open WebSocket connections (from its /healthz). */
export async function waitForConnections(server: RunningDevServer, count: number): Promise<void> {
  let open: number | undefined;
  const deadline = performance.now() + 15_000;
  for (;;) {
    open = await executeServerCommand<number, { httpUrl: string }>('dev-server-connections', {
      httpUrl: server.httpUrl,
    });
    if (open === count) return;
    if (performance.now() > deadline) throw new Error(`the server has ${open} connections, not ${count}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Records the timers (timeouts and intervals) set from now on by code whose
 * URL matches `source` (told by the stack where each is set: the test
 * runner keeps timers of its own); `pending()` lists the delays of those
 * that have neither run nor been cleared, and `stop()` puts the real
 * functions back.
 */
export function trackTimers(source: RegExp): { pending(): number[]; stop(): void } {
  // The DOM's signatures (Node's types merge their own into window.setTimeout's).
  type SetTimer = (handler: TimerHandler, delay?: number, ...args: unknown[]) => number;
  type ClearTimer = (id?: number) => void;
  const real = {
    setTimeout: window.setTimeout as SetTimer,
    setInterval: window.setInterval as SetTimer,
    clearTimeout: window.clearTimeout as ClearTimer,
    clearInterval: window.clearInterval as ClearTimer,
  };
  const pending = new Map<number, number>();
  const track =
    (set: SetTimer, once: boolean) =>
    (handler: TimerHandler, delay = 0, ...args: unknown[]): number => {
      const id = set(
        (...runArgs: unknown[]) => {
          if (once) pending.delete(id);
          if (typeof handler === 'function') handler(...runArgs);
        },
        delay,
        ...args,
      );
      if (source.test(new Error().stack ?? '')) pending.set(id, delay);
      return id;
    };
  const untrack = (clear: ClearTimer) => (id?: number) => {
    if (id !== undefined) pending.delete(id);
    clear(id);
  };
  Object.assign(window, {
    setTimeout: track(real.setTimeout, true),
    setInterval: track(real.setInterval, false),
    clearTimeout: untrack(real.clearTimeout),
    clearInterval: untrack(real.clearInterval),
  });
  return {
    pending: () => [...pending.values()],
    stop: () => Object.assign(window, real),
  };
}

export async function waitFor<T>(
  check: () => T | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function shadow(el: AiStreamChat): ShadowRoot {
  if (!el.shadowRoot) throw new Error('no shadow root');
  return el.shadowRoot;
}

/** Waits until the last assistant message has finished, and returns it. */
export function answerDone(el: AiStreamChat, count = 1): Promise<AiStreamChat['messages'][number]> {
  return waitFor(() => {
    const answers = el.messages.filter((m) => m.role === 'assistant');
    const last = answers[count - 1];
    return answers.length >= count && last?.status === 'done' ? last : undefined;
  }, `answer ${count} to finish`);
}

/** Waits for the element's next render (Lit updates run in animation frames). */
export async function settled(el: AiStreamChat): Promise<void> {
  await el.updateComplete;
  await twoFrames();
}

/** Two rendered frames: scroll events of the first have been handled, and any update they asked for rendered. */
export function twoFrames(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}

export interface MountOptions {
  /** Markup around the element, e.g. buttons to Tab from and to. */
  before?: string;
  after?: string;
  /** Where the element goes: the page's body unless given (e.g. another shadow root). */
  parent?: ParentNode;
  /** Runs once the element exists, before it is connected. */
  beforeConnect?: (el: AiStreamChat) => void;
}

const mounted = new Set<HTMLElement>();

/**
 * Puts `<ai-stream-chat ${attributes}>` in the page (whichever build
 * registered the tag) and waits for its first render; `unmountChats()`
 * removes it again.
 */
export async function mountChat(attributes = '', options: MountOptions = {}): Promise<AiStreamChat> {
  const holder = document.createElement('div');
  holder.innerHTML = `${options.before ?? ''}<ai-stream-chat ${attributes}></ai-stream-chat>${options.after ?? ''}`;
  const el = holder.querySelector('ai-stream-chat') as AiStreamChat;
  options.beforeConnect?.(el);
  (options.parent ?? document.body).append(holder);
  mounted.add(holder);
  await settled(el);
  return el;
}

/** Removes every element `mountChat` put in the page. */
export function unmountChats(): void {
  for (const holder of mounted) holder.remove();
  mounted.clear();
}

/**
 * Welcomes the element's connection to a FakeSocket (see installFakeSocket)
 * once it said hello, with `fields` (history, active, …) over an empty
 * conversation's welcome, and returns that socket.
 */
export async function welcomeOnFakeSocket(
  el: AiStreamChat,
  fields: Record<string, unknown> = {},
): Promise<FakeSocket> {
  await waitFor(() => FakeSocket.sockets[0]?.sent.length, 'hello');
  const socket = FakeSocket.last;
  socket.receive({ ...welcomeFrame(), ...fields });
  await settled(el);
  return socket;
}

/**
 * Sends `question` from the element and has the fake server acknowledge it as
 * `u1` and start its answer `a1` (no text yet), as a server would.
 */
export async function startAnswerOnFakeSocket(
  el: AiStreamChat,
  socket: FakeSocket,
  question: string,
): Promise<void> {
  el.send(question);
  const send = socket.sent.find((f) => f.type === 'send') as { clientMsgId: string };
  socket.receive({ type: 'ack', clientMsgId: send.clientMsgId, messageId: 'u1' });
  socket.receive({ type: 'start', messageId: 'a1', replyTo: 'u1' });
  await settled(el);
}

/**
 * The built widget in an iframe of test/e2e/fixtures/embed.html, pointed at
 * `wsUrl`: a same-origin page the test can really reload.
 */
export class EmbedFrame {
  readonly frame = document.createElement('iframe');

  constructor(private readonly wsUrl: string) {
    this.frame.style.width = '600px';
    this.frame.style.height = '600px';
    document.body.append(this.frame);
  }

  /** Loads the page (or reloads it) and returns its widget. */
  async open(): Promise<AiStreamChat> {
    const loaded = new Promise((resolve) => this.frame.addEventListener('load', resolve, { once: true }));
    if (this.frame.src) this.frame.contentWindow?.location.reload();
    else this.frame.src = `/test/e2e/fixtures/embed.html?ws=${encodeURIComponent(this.wsUrl)}`;
    await loaded;
    return waitFor(
      () => this.frame.contentDocument?.querySelector('ai-stream-chat') as AiStreamChat | null,
      'the widget',
    );
  }

  remove(): void {
    this.frame.remove();
  }
}
