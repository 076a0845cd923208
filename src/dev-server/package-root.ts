import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of this package's package.json, found by walking up from this
 * file, so the server finds demo/ and dist/ both from src/ (tsx) and from
 * dist/node/ (built).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ai-stream-chat')
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ai-stream-chat: cannot find the package root');
    dir = parent;
  }
}
