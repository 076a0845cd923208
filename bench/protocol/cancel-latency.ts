/**
 * How long after a `cancel` the server ends the answer (`done` cancelled)
 * and the source stops producing, measured over real sockets on 127.0.0.1
 * with the mock source at 50 tokens/s (a model's pace). Prints a table and
 * writes bench/results/cancel.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isType, Peer } from '../../src/conformance/peer.js';
import { startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';

const RUNS = 50;
const source = createMockSource({ tokensPerSecond: 50, sections: 3 });
const server = await startDevServer({ port: 0, source });
const url = `${server.url.replace(/^http/, 'ws')}/ws`;
const doneMs: number[] = [];
const producedAfter: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const peer = await Peer.connect(url);
  peer.send({ type: 'hello', v: 1 });
  await peer.waitFor(isType('welcome'));
  peer.send({ type: 'send', clientMsgId: `c${i}`, text: 'long answer' });
  const start = await peer.waitFor(isType('start'));
  await peer.waitFor(isType('delta', (d) => d.seq === 3 + (i % 5)));
  const sentAt = performance.now();
  peer.send({ type: 'cancel', messageId: start.messageId });
  await peer.waitFor(isType('done'));
  doneMs.push(performance.now() - sentAt);
  const produced = source.stats.tokensProduced;
  await new Promise((r) => setTimeout(r, 100));
  producedAfter.push(source.stats.tokensProduced - produced);
  peer.close();
}
await server.close();
doneMs.sort((a, b) => a - b);
const pick = (q: number) =>
  Number((doneMs[Math.min(doneMs.length - 1, Math.floor(q * doneMs.length))] ?? 0).toFixed(2));
const result = {
  date: new Date().toISOString(),
  runs: RUNS,
  tokensPerSecond: 50,
  cancelToDoneMs: { p50: pick(0.5), p95: pick(0.95), max: pick(1) },
  tokensProducedWithin100msAfterDone: producedAfter.reduce((a, b) => a + b, 0),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cancel.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('cancel → done (ms), over', RUNS, 'runs at 50 tokens/s:');
console.table([result.cancelToDoneMs]);
console.log('tokens produced after done:', result.tokensProducedWithin100msAfterDone);
