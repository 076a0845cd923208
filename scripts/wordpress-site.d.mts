export interface WordPressPage {
  title: string;
  content: string;
}

export interface WordPressSite {
  /** http://127.x.y.z:<port>: a loopback address of its own. */
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
