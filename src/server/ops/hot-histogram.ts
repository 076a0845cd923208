import type { Metric } from 'prom-client';

/** One line of a metric's export, as prom-client's registry formats it. */
interface ExportedValue {
  value: number;
  labels: { le?: number | string };
  metricName: string;
}

/**
 * A histogram without labels for a path every chunk takes: observing is a
 * bucket search and three additions, with nothing allocated. prom-client's
 * Histogram spends about 0.45 µs and a few objects on each observation (label
 * handling, a closure per call), which the token-latency metric paid for every
 * chunk of every answer. It registers with a prom-client registry and exports
 * exactly as a prom-client histogram does (`_bucket` with `le`, `_sum`,
 * `_count`).
 */
export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    registry: { registerMetric(metric: Metric): void },
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
    // The registry reads a metric through name, help, type, aggregator, get() and reset(); this has them all.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  /** What the registry exports: cumulative buckets, then the sum and the count. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ExportedValue[];
  }> {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const values: ExportedValue[] = this.upperBounds.map((le, i) => {
      cumulative += this.counts[i] as number;
      return { value: cumulative, labels: { le }, metricName: bucket };
    });
    values.push(
      { value: this.count, labels: { le: '+Inf' }, metricName: bucket },
      { value: this.sum, labels: {}, metricName: `${this.name}_sum` },
      { value: this.count, labels: {}, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
