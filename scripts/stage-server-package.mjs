/**
 * Fills packages/server/ (the `ai-stream-chat-server` package) with what it
 * ships and the repository builds: the compiled server (dist/node, from
 * `npm run build:server`) and PROTOCOL.md. `npm run pack:server` runs this,
 * then `npm pack` in packages/server. The widget package is the repository
 * root, so installing the widget installs none of the server's dependencies.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const target = join(root, 'packages', 'server');

export function stageServerPackage() {
  const built = join(root, 'dist', 'node');
  if (!existsSync(join(built, 'cli', 'cli.js')))
    throw new Error('dist/node is missing: run npm run build first');
  rmSync(join(target, 'dist'), { recursive: true, force: true });
  cpSync(built, join(target, 'dist', 'node'), { recursive: true });
  cpSync(join(root, 'PROTOCOL.md'), join(target, 'PROTOCOL.md'));
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${stageServerPackage()}\n`);
}
