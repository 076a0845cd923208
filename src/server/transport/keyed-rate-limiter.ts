import { TokenBucket } from './token-bucket.js';

/**
 * A token bucket per key (a client address): `capacity` events per
 * `windowMs`, in bursts of up to `capacity`. Buckets that have refilled are
 * forgotten, so the map holds only keys active within the last window,
 * however many addresses come and go.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; lastTake: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), windowMs);
    this.sweeper.unref();
  }

  /** Takes one event for `key`: 0 when admitted, else the ms until one will be. */
  take(key: string): number {
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = {
        bucket: new TokenBucket(this.capacity, (this.capacity * 1000) / this.windowMs, this.now),
        lastTake: 0,
      };
      this.buckets.set(key, entry);
    }
    entry.lastTake = this.now();
    return entry.bucket.take();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forgets buckets untouched for a whole window: they are full again, as a new one would be. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.buckets)
      if (now - entry.lastTake >= this.windowMs) this.buckets.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
