/** Path of a Chromium binary: $CHROME_PATH, then /usr/bin/chromium, then `chromium` on PATH. */
export function findChromium(): string | undefined;
export function ensureChromium(): string;
export function aptInstall(packages: string[]): boolean;
/** Launch arguments for headless Chromium on this kind of machine. */
export const CHROMIUM_ARGS: string[];
/** Path of Firefox: $FIREFOX_PATH, /usr/bin/firefox-esr, then `firefox-esr` or `firefox` on PATH. */
export function findFirefox(): string | undefined;
export function ensureFirefox(): string;
/** WebKitWebDriver, MiniBrowser and Xvfb; undefined when any is missing. */
export interface WebKitPrograms {
  driver: string;
  browser: string;
  xvfb: string;
}
export function findWebKit(): WebKitPrograms | undefined;
export function ensureWebKit(): WebKitPrograms;
/** Debian's WordPress, php and MariaDB programs, installed with apt-get when missing and possible. */
export function ensureWordPress(): {
  wordpress: string;
  php: string;
  mariadbd: string;
  mariadbInstallDb: string;
  mariadb: string;
};
