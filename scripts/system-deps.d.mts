/** Path of a Chromium binary: $CHROME_PATH, then /usr/bin/chromium, then `chromium` on PATH. */
export function findChromium(): string | undefined;
export function ensureChromium(): string;
export function aptInstall(packages: string[]): boolean;
/** Launch arguments for headless Chromium on this kind of machine. */
export const CHROMIUM_ARGS: string[];
