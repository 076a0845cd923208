import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the server finds the pages it serves at `/` and the widget's bundles it serves at `/dist/`. */
export interface ServedPages {
  /** Directory of dist/ai-stream-chat.js and dist/ai-stream-chat.iife.js. */
  widgetDist: string;
  /** Directory served at `/`. */
  pages: string;
}

/**
 * Finds the package this file is in by walking up to the nearest
 * package.json, from src/ (tsx) or from dist/node/ (built):
 * - the repository (`ai-stream-chat`): the demo pages and its own dist/;
 * - the installed `ai-stream-chat-server` package: its minimal page
 *   (public/) and the bundles of the `ai-stream-chat` package it depends on.
 */
export function servedPages(): ServedPages {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'ai-stream-chat') return { widgetDist: join(dir, 'dist'), pages: join(dir, 'demo') };
      if (name === 'ai-stream-chat-server') {
        const widget = dirname(createRequire(manifest).resolve('ai-stream-chat/package.json'));
        return { widgetDist: join(widget, 'dist'), pages: join(dir, 'public') };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ai-stream-chat: cannot find the package root');
    dir = parent;
  }
}
