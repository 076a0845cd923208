import { EventEmitter, once } from 'node:events';
import type { GenerateRequest, GenerateResult, TokenSource } from '../sources/types.js';

/**
 * Counts the answers being generated through a source, and tells when there
 * are none: a drain waits on that event instead of polling.
 */
export class ActiveGenerations {
  private active = 0;
  private readonly events = new EventEmitter();

  get count(): number {
    return this.active;
  }

  /** `source`, counted: each generation counts from its first `next()` until it ends however it ends. */
  track(source: TokenSource): TokenSource {
    const self = this;
    return {
      async *generate(request: GenerateRequest): AsyncGenerator<string, GenerateResult, void> {
        self.active++;
        try {
          return yield* source.generate(request);
        } finally {
          self.active--;
          if (self.active === 0) self.events.emit('idle');
        }
      },
    };
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
