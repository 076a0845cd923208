export interface WordPressPage {
  title: string;
  content: string;
}

export interface WordPressSite {
  /** http://aisc-<random>.test:<port>, which Chromium reaches with CHROMIUM_HOST_RULES. */
  url: string;
  host: string;
  /** The created pages' URLs, by the names given. */
  pages: Record<string, string>;
  /** Stops php and mariadbd, removes the site's config file and folder. */
  close(): Promise<void>;
}

export function startWordPress(options: {
  chatServerUrl: string;
  pages: Record<string, WordPressPage>;
}): Promise<WordPressSite>;

export const CHROMIUM_HOST_RULES: string;
