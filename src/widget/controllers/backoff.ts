/**
 * "Full jitter" exponential backoff: a random delay in [0, min(max, base·2^n)].
 * partysocket's own backoff is deterministic, so a thousand widgets would
 * reconnect in lockstep after a server restart; this spreads them out.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 10_000 };

export function backoffDelay(
  attempt: number,
  { baseMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  if (attempt <= 0) return 0;
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
}
