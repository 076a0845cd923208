/**
 * Counts open connections, in total and per client IP, so an upgrade over
 * either cap can be refused before a WebSocket is created.
 */
export type CapVerdict = { ok: true } | { ok: false; status: 429 | 503; reason: string };

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
    if (this.total >= this.maxTotal) {
      return { ok: false, status: 503, reason: 'server is at its connection limit; try again later' };
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.maxPerIp) {
      return { ok: false, status: 429, reason: 'too many connections from your address' };
    }
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return { ok: true };
  }

  release(ip: string): void {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp <= 0) return;
    this.total--;
    if (fromIp === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, fromIp - 1);
  }
}
