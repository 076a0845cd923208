/**
 * The two halves of a small JSON endpoint (the session endpoint, the dev
 * server's demo controls): reading a request body with a size cap, and
 * answering JSON that is never cached.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The request body as UTF-8 text, or undefined once it passes `maxBytes`:
 * the caller then answers 413 at once, and the rest of the body is read and
 * discarded, so the client gets that answer rather than a reset connection.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    const collect = (part: Buffer): void => {
      size += part.length;
      if (size > maxBytes) {
        request.off('data', collect);
        request.resume();
        resolve(undefined);
        return;
      }
      parts.push(part);
    };
    request.on('data', collect);
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

/** Answers `status` with `body` as JSON, not to be cached, plus `headers`. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
