/**
 * One small page-driving interface over the three engines of the page tests
 * (scripts/browser-engines.mjs): Chromium through Playwright, Firefox through
 * puppeteer-core (WebDriver BiDi), WebKitGTK through webdriverio (WebDriver
 * classic). Each test drives pages only through this, so the same test runs in
 * all three; what a driver cannot do (WebDriver classic has no network or
 * console events and no script that runs before the page's own) is told by
 * `can`, and a test that needs it is skipped there with the reason.
 *
 * Elements are named by page expressions (`document.querySelector(…)`), so
 * they can be inside shadow roots; pointer input is a real click at the
 * element's centre, keyboard input real key presses.
 */
import { chromium, type Browser as PlaywrightBrowser, type Page as PlaywrightPage } from 'playwright-core';
import puppeteer, { type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core';
import { remote } from 'webdriverio';
import {
  ENGINE_NAMES,
  engineFromEnv,
  firefoxLaunchOptions,
  startWebKitDriver,
} from '../../scripts/browser-engines.mjs';
import { CHROMIUM_ARGS, findChromium, findFirefox, findWebKit } from '../../scripts/system-deps.mjs';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface Viewport {
  width: number;
  height: number;
}

/** What the page saw while it was recorded: requests, console errors and warnings, uncaught errors. */
export interface Recorded {
  requests: string[];
  console: string[];
  errors: string[];
  /** URLs of the WebSockets the page opened. */
  sockets(): Promise<string[]>;
}

export interface EnginePage {
  goto(url: string): Promise<void>;
  /** Evaluates a JavaScript expression in the page (a promise is awaited); its result must be JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy. */
  waitFor(expression: string, what: string, timeoutMs?: number): Promise<void>;
  /** A real pointer click at the centre of the element `element` (a page expression) evaluates to. */
  click(element: string): Promise<void>;
  /** Types `text` into the focused element, one key at a time. */
  type(text: string): Promise<void>;
  /** Presses one key ('Enter', 'ArrowRight'). */
  press(key: string): Promise<void>;
  /** A PNG of the light-DOM element matching `selector`. */
  screenshot(selector: string): Promise<Buffer>;
  /** Records requests, sockets, console messages and errors from the next page loaded on (`can.record`). */
  record(): Promise<Recorded>;
  /** Runs `script` in every document before its own scripts (`can.initScript`). */
  addInitScript(script: string): Promise<void>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly engine: EngineName;
  /** 'Chromium', 'Firefox' or 'WebKit'. */
  readonly name: string;
  readonly version: string;
  /** Whether the driver reports the page's network requests and console, and can run scripts before the page's. */
  readonly can: { record: boolean; initScript: boolean };
  newPage(viewport?: Viewport): Promise<EnginePage>;
  close(): Promise<void>;
}

const DEFAULT_VIEWPORT: Viewport = { width: 1280, height: 720 };

/**
 * The centre of the element, in viewport coordinates, after scrolling it into
 * view; null while the element is missing or not rendered visible (a panel
 * that opens in the next frame).
 */
const centreOf = (element: string) => `(() => {
  const el = ${element};
  if (!el?.checkVisibility({ visibilityProperty: true })) return null;
  el.scrollIntoView({ block: 'center', inline: 'center' });
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return null;
  return { x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2) };
})()`;

type Point = { x: number; y: number };

/** Where to click `element`: its centre, once it is there and visible (as Playwright's clicks wait). */
async function clickPoint(page: EnginePage, element: string): Promise<Point> {
  let point: Point | null = null;
  await poll(
    async () => {
      point = await page.evaluate<Point | null>(centreOf(element));
      return point;
    },
    `${element} to be visible`,
    15_000,
  );
  return point as unknown as Point;
}

/** Runs before the page's scripts: notes the URL of every WebSocket the page opens in window.__sockets. */
const RECORD_SOCKETS = `(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      window.__sockets.push(this.url);
    }
  };
})();`;

async function poll(evaluate: () => Promise<unknown>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await evaluate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- Chromium: Playwright over the DevTools protocol ----------------------------

class PlaywrightEnginePage implements EnginePage {
  constructor(private readonly page: PlaywrightPage) {}
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }
  evaluate<T>(expression: string): Promise<T> {
    // A string is evaluated over the DevTools protocol, which the page's CSP does not govern.
    return this.page.evaluate(expression) as Promise<T>;
  }
  waitFor(expression: string, what: string, timeoutMs = 15_000): Promise<void> {
    return poll(() => this.evaluate(expression), what, timeoutMs);
  }
  async click(element: string): Promise<void> {
    const { x, y } = await clickPoint(this, element);
    await this.page.mouse.click(x, y);
  }
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }
  async press(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }
  screenshot(selector: string): Promise<Buffer> {
    return this.page.locator(selector).screenshot({ animations: 'disabled', caret: 'hide' });
  }
  async record(): Promise<Recorded> {
    const sockets: string[] = [];
    const recorded: Recorded = { requests: [], console: [], errors: [], sockets: async () => sockets };
    this.page.on('request', (request) => recorded.requests.push(request.url()));
    this.page.on('websocket', (socket) => sockets.push(socket.url()));
    this.page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') recorded.console.push(message.text());
    });
    this.page.on('pageerror', (error) => recorded.errors.push(String(error)));
    return recorded;
  }
  async addInitScript(script: string): Promise<void> {
    await this.page.addInitScript(script);
  }
  close(): Promise<void> {
    return this.page.close();
  }
}

async function launchChromium(): Promise<EngineBrowser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium not found: run "node scripts/system-deps.mjs"');
  const browser: PlaywrightBrowser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  return {
    engine: 'chromium',
    name: ENGINE_NAMES.chromium,
    version: browser.version(),
    can: { record: true, initScript: true },
    async newPage(viewport = DEFAULT_VIEWPORT) {
      return new PlaywrightEnginePage(await browser.newPage({ viewport }));
    },
    close: () => browser.close(),
  };
}

// ---- Firefox: puppeteer-core over WebDriver BiDi ----------------------------------

class PuppeteerEnginePage implements EnginePage {
  constructor(
    private readonly page: PuppeteerPage,
    private readonly closeContext: () => Promise<void>,
  ) {}
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }
  evaluate<T>(expression: string): Promise<T> {
    return this.page.evaluate(expression) as Promise<T>;
  }
  waitFor(expression: string, what: string, timeoutMs = 15_000): Promise<void> {
    return poll(() => this.evaluate(expression), what, timeoutMs);
  }
  async click(element: string): Promise<void> {
    const { x, y } = await clickPoint(this, element);
    await this.page.mouse.click(x, y);
  }
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }
  async press(key: string): Promise<void> {
    // puppeteer's key names are the DOM's; a cast from our plain string.
    await this.page.keyboard.press(key as Parameters<PuppeteerPage['keyboard']['press']>[0]);
  }
  async screenshot(selector: string): Promise<Buffer> {
    const handle = await this.page.$(selector);
    if (!handle) throw new Error(`no element ${selector}`);
    return Buffer.from(await handle.screenshot());
  }
  async record(): Promise<Recorded> {
    // puppeteer's BiDi network events leave WebSocket handshakes out: the page notes each
    // WebSocket it opens instead, from before its own scripts run.
    await this.page.evaluateOnNewDocument(RECORD_SOCKETS);
    const recorded: Recorded = {
      requests: [],
      console: [],
      errors: [],
      sockets: () => this.evaluate<string[]>('window.__sockets'),
    };
    this.page.on('request', (request) => recorded.requests.push(request.url()));
    this.page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') recorded.console.push(message.text());
    });
    this.page.on('pageerror', (error) => recorded.errors.push(String(error)));
    return recorded;
  }
  async addInitScript(script: string): Promise<void> {
    await this.page.evaluateOnNewDocument(script);
  }
  close(): Promise<void> {
    return this.closeContext();
  }
}

async function launchFirefox(): Promise<EngineBrowser> {
  const executablePath = findFirefox();
  if (!executablePath) throw new Error('Firefox not found: run "node scripts/system-deps.mjs"');
  const browser: PuppeteerBrowser = await puppeteer.launch(firefoxLaunchOptions(executablePath));
  return {
    engine: 'firefox',
    name: ENGINE_NAMES.firefox,
    version: (await browser.version()).replace(/^firefox\//i, ''),
    can: { record: true, initScript: true },
    async newPage(viewport = DEFAULT_VIEWPORT) {
      // A context per page, as Playwright's newPage has: no storage (the widget's remembered
      // conversation) carries over from one test to the next.
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(viewport);
      return new PuppeteerEnginePage(page, () => context.close());
    },
    close: () => browser.close(),
  };
}

// ---- WebKit: webdriverio over WebDriver classic, MiniBrowser on Xvfb ---------------

/** WebDriver's code points for the named keys the tests press (WebDriver spec, "keyboard actions"). */
const WEBDRIVER_KEYS: Record<string, string> = {
  Enter: '\uE007',
  Tab: '\uE004',
  Escape: '\uE00C',
  Backspace: '\uE003',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
};

/** The id of the iframe that gives a WebKit page a viewport narrower than MiniBrowser's window can be. */
const FRAME_ID = 'engine-page-viewport';

class WebDriverEnginePage implements EnginePage {
  /**
   * `frame`: the viewport to give pages in an iframe of that size, when the
   * window cannot be that small (MiniBrowser's toolbar keeps it at least
   * about 450 px wide). The iframe is the framed page's viewport: its media
   * queries, vw and dvh units, innerWidth and layout are those of a window
   * of that size.
   */
  constructor(
    private readonly driver: WebdriverIO.Browser,
    private readonly frame: Viewport | undefined,
    private readonly onClose: () => void,
  ) {}
  async goto(url: string): Promise<void> {
    if (!this.frame) {
      await this.driver.navigateTo(url);
      return;
    }
    // A same-origin host document (any path of the server will do; its 404 page is one),
    // holding only the iframe, at the top left, without border.
    await this.driver.navigateTo(new URL('/engine-page-frame-host', url).href);
    await this.driver.execute(
      `const frame = document.createElement('iframe');
      frame.id = ${JSON.stringify(FRAME_ID)};
      frame.style.cssText = 'position: fixed; inset: 0 auto auto 0; border: 0; width: ${this.frame.width}px; height: ${this.frame.height}px';
      document.body.replaceChildren(frame);
      return new Promise((resolve) => { frame.onload = resolve; frame.src = ${JSON.stringify(url)}; });`,
    );
  }
  async evaluate<T>(expression: string): Promise<T> {
    // An async function body: WebDriver awaits a returned promise. In a frame, the expression
    // is evaluated in the framed page's global scope (its window and document).
    const script = this.frame
      ? `return document.getElementById(${JSON.stringify(FRAME_ID)}).contentWindow.eval(${JSON.stringify(`(async () => (${expression}))()`)});`
      : `return (async () => (${expression}))();`;
    return (await this.driver.execute(script)) as T;
  }
  waitFor(expression: string, what: string, timeoutMs = 15_000): Promise<void> {
    return poll(() => this.evaluate(expression), what, timeoutMs);
  }
  async click(element: string): Promise<void> {
    // Pointer actions at the element's centre: WebKitWebDriver refuses an element click on
    // an <input> inside a shadow root as "intercepted". (The iframe sits at 0, 0: the framed
    // page's coordinates are the window's.)
    const { x, y } = await clickPoint(this, element);
    await this.driver.performActions([
      {
        type: 'pointer',
        id: 'mouse',
        parameters: { pointerType: 'mouse' },
        actions: [
          { type: 'pointerMove', duration: 0, origin: 'viewport', x, y },
          { type: 'pointerDown', button: 0 },
          { type: 'pointerUp', button: 0 },
        ],
      },
    ]);
  }
  async type(text: string): Promise<void> {
    // One key per action: WebKitWebDriver drops characters (spaces) of longer sequences.
    for (const character of text) await this.key(character);
  }
  async press(key: string): Promise<void> {
    const value = WEBDRIVER_KEYS[key] ?? ([...key].length === 1 ? key : undefined);
    if (value === undefined) throw new Error(`no WebDriver key for ${key}`);
    await this.key(value);
  }
  private async key(value: string): Promise<void> {
    await this.driver.performActions([
      {
        type: 'key',
        id: 'keyboard',
        actions: [
          { type: 'keyDown', value },
          { type: 'keyUp', value },
        ],
      },
    ]);
  }
  async screenshot(selector: string): Promise<Buffer> {
    if (this.frame) throw new Error('no screenshots of a framed page');
    // WebKitWebDriver's element screenshot cuts off the bottom of the element (by some 20 px
    // here); its viewport screenshot is whole, so the element is cut from that, in the page.
    await this.evaluate(
      `document.querySelector(${JSON.stringify(selector)}).scrollIntoView({ block: 'center' })`,
    );
    const viewport = await this.driver.takeScreenshot();
    const png = await this.evaluate<string>(`(async () => {
      const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
      const image = await createImageBitmap(await (await fetch('data:image/png;base64,${viewport}')).blob());
      const canvas = new OffscreenCanvas(Math.round(r.width), Math.round(r.height));
      canvas.getContext('2d').drawImage(image, -Math.round(r.left), -Math.round(r.top));
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    })()`);
    return Buffer.from(png, 'base64');
  }
  record(): Promise<Recorded> {
    throw new Error('WebDriver classic reports no network or console events');
  }
  addInitScript(): Promise<void> {
    throw new Error('WebDriver classic cannot run a script before the page');
  }
  async close(): Promise<void> {
    // One window for every test: forget what this page stored (the widget's remembered
    // conversation), as a fresh context would.
    await this.driver.execute('try { localStorage.clear(); sessionStorage.clear(); } catch {}');
    await this.driver.deleteAllCookies();
    await this.driver.navigateTo('about:blank');
    this.onClose();
  }
}

type Size = [width: number, height: number];

const innerSize = async (driver: WebdriverIO.Browser): Promise<Size> =>
  (await driver.execute('return [window.innerWidth, window.innerHeight]')) as Size;

/**
 * Sizes MiniBrowser's window so its viewport is `viewport` (the window adds its own frame).
 * GTK resizes asynchronously: after each request the viewport is read until it changes, and the
 * window is corrected from what was really got, a few times. Returns whether it fits exactly;
 * throws when it stays smaller.
 */
async function sizeViewport(driver: WebdriverIO.Browser, viewport: Viewport): Promise<boolean> {
  let got = await innerSize(driver);
  for (let attempt = 0; attempt < 4 && (got[0] !== viewport.width || got[1] !== viewport.height); attempt++) {
    const window = await driver.getWindowSize();
    const before = got;
    await driver.setWindowSize(
      window.width + viewport.width - got[0],
      window.height + viewport.height - got[1],
    );
    for (let wait = 0; wait < 20; wait++) {
      got = await innerSize(driver);
      if (got[0] !== before[0] || got[1] !== before[1]) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const fits = got[0] === viewport.width && got[1] === viewport.height;
  if (!fits && (got[0] < viewport.width || got[1] < viewport.height)) {
    throw new Error(
      `WebKit's viewport is ${got.join('×')}, smaller than ${viewport.width}×${viewport.height}`,
    );
  }
  return fits;
}

async function launchWebKit(): Promise<EngineBrowser> {
  const programs = findWebKit();
  if (!programs) throw new Error('WebKit not found: run "node scripts/system-deps.mjs"');
  const webkit = await startWebKitDriver(programs);
  let driver: WebdriverIO.Browser;
  try {
    driver = await remote({
      hostname: '127.0.0.1',
      port: webkit.port,
      capabilities: webkit.capabilities,
      logLevel: 'error',
    });
  } catch (error) {
    await webkit.close();
    throw error;
  }
  const capabilities = driver.capabilities as { browserVersion?: string };
  // One window, one page at a time: WebDriver classic drives the window it has.
  let open = false;
  return {
    engine: 'webkit',
    name: ENGINE_NAMES.webkit,
    version: capabilities.browserVersion ?? 'unknown',
    can: { record: false, initScript: false },
    async newPage(viewport = DEFAULT_VIEWPORT) {
      if (open) throw new Error('WebKit here drives one page at a time: close the last one first');
      open = true;
      let fits: boolean;
      try {
        fits = await sizeViewport(driver, viewport);
      } catch (error) {
        open = false; // no page was made: the next test may still get one
        throw error;
      }
      return new WebDriverEnginePage(driver, fits ? undefined : viewport, () => {
        open = false;
      });
    },
    async close() {
      try {
        // Unless a page keeps MiniBrowser too busy to answer: then the driver and browser are killed.
        const timeout = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
        await Promise.race([driver.deleteSession(), timeout]);
      } finally {
        await webkit.close();
      }
    },
  };
}

/** Launches the engine named by $BROWSER_ENGINE (default chromium). */
export function launchEngine(engine: EngineName = engineFromEnv() as EngineName): Promise<EngineBrowser> {
  if (engine === 'firefox') return launchFirefox();
  if (engine === 'webkit') return launchWebKit();
  return launchChromium();
}

/** A page expression: the element matching `selector` inside the shadow root of the widget `host`. */
export const inWidget = (host: string, selector: string): string =>
  `document.querySelector(${JSON.stringify(host)}).shadowRoot.querySelector(${JSON.stringify(selector)})`;
