import { EventEmitter, once } from 'node:events';

/**
 * Counts the answers being generated, and tells when there are none: a drain
 * waits on that event instead of polling.
 */
export class ActiveGenerations {
  private active = 0;
  private readonly events = new EventEmitter();

  get count(): number {
    return this.active;
  }

  /** A generation started (the metered source says so; no wrapper of its own, so no cost per token). */
  started(): void {
    this.active++;
  }

  /** A generation ended, however it ended. */
  ended(): void {
    this.active--;
    if (this.active === 0) this.events.emit('idle');
  }

  /** Resolves true once nothing generates, or false when `timeoutMs` passes first. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return true;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await once(this.events, 'idle', { signal });
      return true;
    } catch {
      return this.active === 0;
    }
  }
}
