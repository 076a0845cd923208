import type {} from 'webdriverio';
import type { WebKitPrograms } from './system-deps.mjs';

export const ENGINES: ['chromium', 'firefox', 'webkit'];
export const ENGINE_NAMES: { chromium: string; firefox: string; webkit: string };
/** The engine named by $BROWSER_ENGINE (default chromium); throws on an unknown name. */
export function engineFromEnv(): 'chromium' | 'firefox' | 'webkit';
export const FIREFOX_PREFS: Record<string, boolean>;
/** puppeteer-core launch options for Firefox at `executablePath`. */
export function firefoxLaunchOptions(executablePath: string): {
  browser: 'firefox';
  executablePath: string;
  headless: true;
  extraPrefsFirefox: Record<string, boolean>;
};
export interface WebKitDriver {
  port: number;
  display: string;
  capabilities: WebdriverIO.Capabilities;
  close(): Promise<void>;
}
/** Starts Xvfb and WebKitWebDriver on it; close() stops both (and the MiniBrowser the driver started). */
export function startWebKitDriver(programs: WebKitPrograms): Promise<WebKitDriver>;
export function webkitCapabilities(binary: string): WebdriverIO.Capabilities;
