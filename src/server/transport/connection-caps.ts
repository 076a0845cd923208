/**
 * Counts open connections, in total and per client IP, so a connection over
 * either cap can be refused before a WebSocket is created. The two counts can
 * be taken apart: with the default client address, each TCP connection holds
 * its address's place from its first byte, and the total counts WebSockets
 * (and upgrades in progress) only.
 */
export type CapVerdict = { ok: true } | { ok: false; status: 429 | 503; reason: string };

const FULL: CapVerdict = {
  ok: false,
  status: 503,
  reason: 'server is at its connection limit; try again later',
};
const TOO_MANY: CapVerdict = { ok: false, status: 429, reason: 'too many connections from your address' };
const OK: CapVerdict = { ok: true };

export class ConnectionCaps {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerIp: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Counts a connection from `ip` if both caps allow it; call `release(ip)` exactly once when it ends. */
  acquire(ip: string): CapVerdict {
    if (this.total >= this.maxTotal) return FULL;
    const verdict = this.acquireFrom(ip);
    if (verdict.ok) this.total++;
    return verdict;
  }

  release(ip: string): void {
    if (this.releaseFrom(ip)) this.total--;
  }

  /** Counts a connection toward the total only (its address's place is held already). */
  acquireTotal(): CapVerdict {
    if (this.total >= this.maxTotal) return FULL;
    this.total++;
    return OK;
  }

  releaseTotal(): void {
    if (this.total > 0) this.total--;
  }

  /** Counts a connection toward `ip`'s cap only. */
  acquireFrom(ip: string): CapVerdict {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.maxPerIp) return TOO_MANY;
    this.perIp.set(ip, fromIp + 1);
    return OK;
  }

  /** Gives back one of `ip`'s places; false when it held none. */
  releaseFrom(ip: string): boolean {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp <= 0) return false;
    if (fromIp === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, fromIp - 1);
    return true;
  }
}
