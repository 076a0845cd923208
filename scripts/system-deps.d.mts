/** Path of a Chromium binary: $CHROME_PATH, then /usr/bin/chromium, then `chromium` on PATH. */
export function findChromium(): string | undefined;
export function ensureChromium(): string;
export function aptInstall(packages: string[]): boolean;
/** Chromium flags of every browser this project launches (tests, screenshots). */
export const chromiumArgs: string[];
