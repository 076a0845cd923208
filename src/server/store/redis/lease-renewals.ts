/** What renewing the node's leases needs from the store. */
export interface LeaseRenewer {
  /** How often each lease is renewed. */
  readonly renewEveryMs: number;
  /** A lease's deadline, from now, once renewed. */
  readonly leaseMs: number;
  /** How long Redis may be unreachable before a lease counts as lost (its answer cannot be kept). */
  readonly graceMs: number;
  unreachableForMs(): number;
  /** Issues the renewal of one lease at once (synchronously); resolves true when it is still ours. */
  renew(conversationId: string, answerId: string): Promise<boolean>;
  /** Records the new deadlines of the leases renewed, in one command. */
  recordDeadlines(conversationIds: string[], deadline: number): Promise<unknown>;
  /** Runs `issue` with the command connections corked: what it issues leaves in one write per Redis server. */
  corked(issue: () => void): void;
}

interface KeptLease {
  conversationId: string;
  answerId: () => string | undefined;
  lost: () => void;
  /** When it is next renewed (`performance.now()`). */
  dueAt: number;
}

type Outcome = 'renewed' | 'lost' | 'unknown';

/** How many times per renewal period the node looks for leases due. */
const TICKS_PER_PERIOD = 4;

/**
 * Keeps the leases this node holds renewed, from one timer for all of them.
 *
 * A timer per conversation renewed each lease on its own: two commands and
 * two socket writes a lease each period, each waking Redis and then the node
 * again for the replies. Here the leases due at a tick go out together (one
 * write per Redis server), and their new deadlines go into the lease index
 * in one command. A tick comes four times a period and renews only the
 * leases due by then, so a node's renewals stay spread over the period as
 * its answers started, and no tick holds the event loop for all of them.
 */
export class LeaseRenewals {
  private readonly kept = new Set<KeptLease>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly renewer: LeaseRenewer) {}

  /**
   * Renews the node's lease on `conversationId` every period until the
   * returned function is called; `lost` is called (once per period at most)
   * when it could not be: another node holds it, the answer being generated
   * (`answerId`) was ended elsewhere, or Redis has been away past the grace.
   */
  keep(conversationId: string, answerId: () => string | undefined, lost: () => void): () => void {
    const lease: KeptLease = {
      conversationId,
      answerId,
      lost,
      dueAt: performance.now() + this.renewer.renewEveryMs,
    };
    this.kept.add(lease);
    this.timer ??= setInterval(() => this.tick(), this.renewer.renewEveryMs / TICKS_PER_PERIOD);
    return () => {
      this.kept.delete(lease);
      if (this.kept.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Renews nothing more (the store is closing). */
  stop(): void {
    this.kept.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const due: KeptLease[] = [];
    // A lease due within half a tick goes now: waiting for the next tick would make it late.
    const horizon = now + this.renewer.renewEveryMs / TICKS_PER_PERIOD / 2;
    for (const lease of this.kept) {
      if (lease.dueAt > horizon) continue;
      lease.dueAt = now + this.renewer.renewEveryMs;
      due.push(lease);
    }
    if (due.length === 0) return;
    if (this.renewer.unreachableForMs() > this.renewer.graceMs) {
      for (const lease of due) lease.lost();
      return;
    }
    const deadline = Date.now() + this.renewer.leaseMs;
    const outcomes: Array<Promise<Outcome>> = [];
    this.renewer.corked(() => {
      for (const lease of due) {
        outcomes.push(
          this.renewer.renew(lease.conversationId, lease.answerId() ?? '').then(
            (ours) => (ours ? 'renewed' : 'lost'),
            // Unanswered (Redis away, a cut): not lost; the grace check above decides when it is.
            () => 'unknown',
          ),
        );
      }
    });
    void Promise.all(outcomes).then((outcome) => {
      const renewed: string[] = [];
      outcome.forEach((how, i) => {
        const lease = due[i] as KeptLease;
        if (how === 'renewed') renewed.push(lease.conversationId);
        else if (how === 'lost' && this.kept.has(lease)) lease.lost();
      });
      if (renewed.length > 0) this.renewer.recordDeadlines(renewed, deadline).catch(() => {});
    });
  }
}
