/**
 * The token-latency histogram (src/server/ops/hot-histogram.ts) is scraped
 * exactly as a prom-client histogram with the same buckets and observations
 * would be: same lines, same values, in both of prom-client's formats.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry, type RegistryContentType } from 'prom-client';
import { HotHistogram } from '../../src/server/ops/hot-histogram.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** On bucket bounds, between them, below the first and past the last. */
const VALUES = [0, 0.001, 0.005, 0.0051, 0.01, 0.03, 0.1, 0.7, 1, 2.5, 4.99, 5, 5.01, 60];

/** A HotHistogram and a prom-client Histogram, alike, each in a registry of its own. */
function pair(contentType: RegistryContentType) {
  const ours = new Registry<RegistryContentType>();
  const theirs = new Registry<RegistryContentType>();
  ours.setContentType(contentType);
  theirs.setContentType(contentType);
  const hot = new HotHistogram(ours, 'latency_seconds', 'Seconds between chunks.', BUCKETS);
  const reference = new Histogram({
    name: 'latency_seconds',
    help: 'Seconds between chunks.',
    buckets: BUCKETS,
    registers: [theirs],
  });
  return { ours, theirs, hot, reference };
}

describe('HotHistogram', () => {
  for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE]) {
    it(`scrapes as prom-client's Histogram does (${contentType.split(';')[0]})`, async () => {
      const { ours, theirs, hot, reference } = pair(contentType);
      assert.equal(await ours.metrics(), await theirs.metrics(), 'before any observation');
      for (const value of VALUES) {
        hot.observe(value);
        reference.observe(value);
      }
      const text = await ours.metrics();
      assert.equal(text, await theirs.metrics());
      assert.match(
        text,
        /latency_seconds_bucket\{le="0\.005"\} 3\n/,
        'a value on a bound counts in its bucket',
      );
      assert.match(text, /latency_seconds_count 14\n/);
      ours.resetMetrics();
      theirs.resetMetrics();
      reference.zero({});
      assert.equal(await ours.metrics(), await theirs.metrics(), 'after a reset');
    });
  }

  it('reads as JSON as prom-client does', async () => {
    const { ours, theirs, hot, reference } = pair(Registry.PROMETHEUS_CONTENT_TYPE);
    for (const value of VALUES) {
      hot.observe(value);
      reference.observe(value);
    }
    // Exemplars are off in both (prom-client reports null or nothing for each value): left out.
    const strip = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map(({ name, help, type, values, aggregator }) => ({
        name,
        help,
        type,
        aggregator,
        values: values.map(
          ({ value, labels, metricName }: { value: number; labels: object; metricName?: string }) => ({
            value,
            labels,
            metricName,
          }),
        ),
      }));
    assert.deepEqual(strip(await ours.getMetricsAsJSON()), strip(await theirs.getMetricsAsJSON()));
  });
});
