/**
 * web-test-runner's WebDriver launcher, for WebKitGTK: starts Xvfb and
 * WebKitWebDriver when the run starts and stops them (and the MiniBrowser
 * the driver opened) when it ends, and sends keys the way WebKitWebDriver
 * takes them.
 */
import { WebdriverLauncher } from '@web/test-runner-webdriver';
import { startWebKitDriver, webkitCapabilities } from './browser-engines.mjs';

/** WebDriver's code points for the named keys the tests press (WebDriver spec, "keyboard actions"). */
const KEYS = {
  Backspace: '\uE003',
  Tab: '\uE004',
  Enter: '\uE007',
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Escape: '\uE00C',
  Space: '\uE00D',
  End: '\uE010',
  Home: '\uE011',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
  Meta: '\uE03D',
};

/** 'Shift+Enter' → the WebDriver values of Shift and Enter; a single character stays itself. */
function keyValues(key) {
  if ([...key].length === 1) return [key];
  return key.split('+').map((name) => {
    const value = KEYS[name] ?? ([...name].length === 1 ? name : undefined);
    if (value === undefined) throw new Error(`no WebDriver key for "${name}" (in "${key}")`);
    return value;
  });
}

export class WebKitLauncher extends WebdriverLauncher {
  /** @param programs scripts/system-deps.mjs findWebKit()'s answer. */
  constructor(programs) {
    super({ hostname: '127.0.0.1', port: 0, capabilities: webkitCapabilities(programs.browser) });
    this.programs = programs;
    this.webkitDriver = undefined;
  }

  async initialize(config, testFiles) {
    this.webkitDriver = await startWebKitDriver(this.programs);
    this.options.port = this.webkitDriver.port;
    await super.initialize(config, testFiles);
    this.name = 'WebKit';
  }

  async stop() {
    // Ending the session closes MiniBrowser, unless a page keeps it too busy to answer:
    // the driver and browser are killed after at most 10 s either way.
    const timeout = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([super.stop(), timeout]);
    await this.webkitDriver?.close();
    this.webkitDriver = undefined;
  }

  /**
   * web-test-runner's sendKeys passes typed text split into characters and
   * a pressed key as written ('Shift+Enter'). Each goes as its own key
   * action: WebKitWebDriver drops characters (spaces) of longer sequences,
   * and webdriverio's keys() would type "Shift+Enter" letter by letter.
   */
  async sendKeys(sessionId, keys) {
    for (const key of keys) {
      const values = keyValues(key);
      const actions = [
        ...values.map((value) => ({ type: 'keyDown', value })),
        ...values.toReversed().map((value) => ({ type: 'keyUp', value })),
      ];
      await this.driverManager.performActions(sessionId, [{ type: 'key', id: 'keyboard', actions }]);
    }
  }
}
