/**
 * Many nodes, one conversation: three server processes share one Redis (and
 * then a Redis Cluster), and a proxy in front of them sends every new client
 * connection to a random node and cuts connections at random byte offsets,
 * so the client moves between nodes mid-answer. Every answer still lands exactly once,
 * byte-identical, whichever node generated it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisCluster, startRedisProcess } from '../../scripts/redis-process.mjs';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';
import { askOnce } from './ask.js';
import { ChaosProxy } from './chaos-proxy.js';

const RUNS = 100;
const CONCURRENCY = 8;
const SEED = 5;
const SECTIONS = 2;

interface RunResult {
  seed: number;
  text: string;
  messages: { role: string; status: string }[];
  nodesUsed: number;
  cuts: number;
}

async function run(seed: number, nodes: ServerNode[]): Promise<RunResult> {
  const cutsWanted = 2 + (seed % 3);
  const answerBytes = Buffer.byteLength(mockAnswerFor(`question ${seed}`, 0, SEED, SECTIONS));
  const used = new Set<number>();
  const proxy = new ChaosProxy({ host: '127.0.0.1', port: 0 }, seed, (index, random) => {
    const node = nodes[Math.floor(random() * nodes.length)] as ServerNode;
    used.add(node.port);
    return {
      targetPort: node.port,
      // Within the streamed answer, which carries at least its text (compact deltas add a little).
      cutAfterBytes: index < cutsWanted ? 150 + Math.floor(random() * answerBytes) : undefined,
      maxPiece: 4 + Math.floor(random() * 400),
      maxDelayMs: 3,
      delayChance: 0.05,
    };
  });
  const proxyPort = await proxy.listen();
  try {
    const messages = await askOnce(`ws://127.0.0.1:${proxyPort}/ws`, `question ${seed}`, {
      label: `seed ${seed}`,
    });
    return {
      seed,
      text: messages.find((m) => m.role === 'assistant')?.text ?? '',
      messages: messages.map((m) => ({ role: m.role, status: m.status })),
      nodesUsed: used.size,
      cuts: proxy.cuts,
    };
  } finally {
    await proxy.close();
  }
}

for (const kind of ['one Redis', 'a Redis Cluster (3 masters, 3 replicas)'] as const) {
  describe(`many nodes share ${kind}`, () => {
    let redis: { close(): Promise<void> };
    /** The cluster's nodes' ports (none for one Redis). */
    let clusterPorts: number[] = [];
    let nodes: ServerNode[];
    before(async () => {
      let where: string[];
      if (kind === 'one Redis') {
        const single = await startRedisProcess();
        redis = single;
        where = ['--redis', single.url];
      } else {
        const cluster = await startRedisCluster();
        redis = cluster;
        clusterPorts = cluster.nodes.map((n: { port: number }) => n.port);
        where = ['--redis-cluster', cluster.seeds.join(',')];
      }
      const args = [
        ...where,
        '--rate',
        '3000',
        '--seed',
        String(SEED),
        '--sections',
        String(SECTIONS),
        // Every run is a new conversation from 127.0.0.1: lift the per-address creation limit.
        '--max-new-conversations-per-ip',
        '1000000',
      ];
      nodes = await Promise.all([startNode(args), startNode(args), startNode(args)]);
    });
    after(async () => {
      await stopAll();
      await redis.close();
    });

    it(`${RUNS} seeded runs moved between 3 nodes at random points: every answer exactly once`, async () => {
      const results: RunResult[] = [];
      const seeds = Array.from({ length: RUNS }, (_, i) => i + 1);
      for (let i = 0; i < seeds.length; i += CONCURRENCY) {
        const batch = seeds.slice(i, i + CONCURRENCY);
        results.push(...(await Promise.all(batch.map((seed) => run(seed, nodes)))));
      }
      for (const r of results) {
        assert.equal(r.text, mockAnswerFor(`question ${r.seed}`, 0, SEED, SECTIONS), `seed ${r.seed}`);
        assert.deepEqual(
          r.messages,
          [
            { role: 'user', status: 'done' },
            { role: 'assistant', status: 'done' },
          ],
          `seed ${r.seed}: one question, one answer`,
        );
        assert.ok(r.cuts >= 1, `seed ${r.seed}: the proxy cut at least once`);
      }
      const moved = results.filter((r) => r.nodesUsed >= 2).length;
      assert.ok(moved >= RUNS / 2, `${moved} of ${RUNS} runs used two or more nodes`);
      if (clusterPorts.length > 0) {
        // Events go out as sharded pub/sub: kept within each channel's shard, never broadcast to every node.
        const bus = await Promise.all(clusterPorts.map(busMessages));
        const total = (field: string) => bus.reduce((sum, counts) => sum + (counts.get(field) ?? 0), 0);
        process.stdout.write(
          `# cluster bus over the runs: publish ${total('publish_sent')} sent, publishshard ${total('publishshard_sent')} sent\n`,
        );
        assert.equal(total('publish_sent'), 0, 'no PUBLISH crossed the cluster bus');
        assert.ok(total('publishshard_sent') > 0, "SPUBLISH reached each shard's replicas over the bus");
      }
    });
  });
}

/** A cluster node's bus message counters (`CLUSTER INFO`'s cluster_stats_messages_<type>_<sent|received>). */
async function busMessages(port: number): Promise<Map<string, number>> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    const counts = new Map<string, number>();
    for (const match of info.matchAll(/^cluster_stats_messages_(\w+):(\d+)/gm))
      counts.set(match[1] as string, Number(match[2]));
    return counts;
  } finally {
    client.disconnect();
  }
}
