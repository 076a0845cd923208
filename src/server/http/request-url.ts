import type { IncomingMessage } from 'node:http';

/**
 * The URL of an HTTP request, or undefined when its target cannot be one.
 * A request target is attacker-chosen text: `new URL('//', base)` throws
 * (`//` reads as an empty host), and so do absolute forms such as
 * `http://`. Every route asks here, so no request line can throw.
 */
export function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? '/';
  try {
    // Origin form (`/path?query`, the usual case): never read a host out of it.
    if (target.startsWith('/')) return new URL(`http://localhost${target}`);
    // Absolute form (`http://host/path`), which HTTP/1.1 servers must accept.
    return new URL(target);
  } catch {
    return undefined;
  }
}

/** The path of a request's URL; undefined when the target cannot be parsed. */
export function requestPath(request: IncomingMessage): string | undefined {
  return requestUrl(request)?.pathname;
}
