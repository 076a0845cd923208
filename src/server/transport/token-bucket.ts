/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at
 * `refillPerSecond`. Each admitted event takes one, so bursts up to the
 * capacity pass and the long-run rate is bounded by the refill rate.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(capacity >= 1) || !Number.isFinite(capacity)) {
      throw new TypeError(`token bucket capacity must be a finite number >= 1, got ${String(capacity)}`);
    }
    if (!(refillPerSecond > 0) || !Number.isFinite(refillPerSecond)) {
      throw new TypeError(
        `token bucket refillPerSecond must be a finite number > 0, got ${String(refillPerSecond)}`,
      );
    }
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes one token: returns 0 when admitted, else the ms until one will be available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.updatedAt) * this.refillPerSecond) / 1000,
    );
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.refillPerSecond);
  }
}
