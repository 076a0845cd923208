import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { requestPath } from './request-url.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** What one URL prefix serves: a directory, and optionally only the files `only` accepts (by path below it). */
export interface Mount {
  dir: string;
  only?: RegExp;
}

/** URL prefix → what it serves. */
export type Mounts = Record<string, string | Mount>;

/**
 * Serves files under each mount, refusing anything that would resolve outside
 * the mounted directory. Returns false when no mount matches or the file is
 * absent, so the caller can answer 404.
 */
export async function serveStatic(
  mounts: Mounts,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  let pathname: string;
  try {
    pathname = decodeURIComponent(requestPath(request) ?? '');
  } catch {
    return false;
  }
  if (pathname.includes('\0')) return false;
  for (const [prefix, mount] of Object.entries(mounts)) {
    if (!pathname.startsWith(prefix)) continue;
    const { dir, only } = typeof mount === 'string' ? { dir: mount, only: undefined } : mount;
    let relative = pathname.slice(prefix.length);
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    if (only && !only.test(relative)) return false;
    const file = normalize(join(dir, relative));
    if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    response.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
    return true;
  }
  return false;
}
